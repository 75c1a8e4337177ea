// dmasim conformance runner: executes io_uring programs (the text format of
// tests/conformance/program.ts) on the running kernel and prints what the
// kernel answered, one line per observable, for the comparison in
// tests/conformance/compare.ts. Raw io_uring_setup/io_uring_enter/
// io_uring_register and SQEs written byte by byte (64 bytes given in hex), so
// that flags and opcodes newer than liburing 2.3's headers reach the kernel
// exactly as written. liburing.h supplies the structures.
//
// Usage: runner <program-file> [block-device]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define NBUF 16
#define LINE_MAX_BYTES 65536

static int ring_fd = -1;
static struct io_uring_params p;
static void *sq_ptr, *cq_ptr, *sqes_ptr;
static size_t sq_sz, cq_sz, sqes_sz;
static unsigned *sq_tail, *sq_head, *sq_mask, *sq_flags, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_cqe *cqes;
static unsigned local_tail;
static unsigned cqe_size = 16, sqe_size = 64;
static void *buf[NBUF];
static size_t buf_len[NBUF];
static int dev_fd = -1;
static long reaped;

static void on_alarm(int sig) { (void)sig; }

static void fill(unsigned char *b, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed * 31u + i * 13u + (i >> 8));
}

static void ring_close(void) {
  if (ring_fd < 0) return;
  if (sq_ptr && sq_ptr != MAP_FAILED) munmap(sq_ptr, sq_sz);
  if (cq_ptr && cq_ptr != sq_ptr && cq_ptr != MAP_FAILED) munmap(cq_ptr, cq_sz);
  if (sqes_ptr && sqes_ptr != MAP_FAILED) munmap(sqes_ptr, sqes_sz);
  close(ring_fd);
  ring_fd = -1;
  sq_ptr = cq_ptr = sqes_ptr = NULL;
}

static void bufs_free(void) {
  for (int i = 0; i < NBUF; i++) {
    if (buf[i]) munmap(buf[i], buf_len[i]);
    buf[i] = NULL;
    buf_len[i] = 0;
  }
}

static uint64_t addr_of(int k, uint64_t off) {
  if (k < 0) return off;
  return (uint64_t)(uintptr_t)buf[k] + off;
}

// "k:off" -> address (k = -1 gives off as an absolute address).
static uint64_t parse_ref(const char *s) {
  int k = atoi(s);
  const char *c = strchr(s, ':');
  uint64_t off = c ? strtoull(c + 1, NULL, 0) : 0;
  return addr_of(k, off);
}

static int do_setup(unsigned entries, unsigned flags, unsigned cq_entries) {
  memset(&p, 0, sizeof(p));
  p.flags = flags;
  p.cq_entries = cq_entries;
  int fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (fd < 0) {
    printf("setup %d\n", -errno);
    return -1;
  }
  ring_fd = fd;
  sqe_size = (flags & IORING_SETUP_SQE128) ? 128 : 64;
  cqe_size = (flags & IORING_SETUP_CQE32) ? 32 : 16;
  sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  if (flags & (1u << 16)) sq_sz = p.sq_off.flags + 64; // NO_SQARRAY: no index array
  cq_sz = p.cq_off.cqes + p.cq_entries * cqe_size;
  if (p.features & IORING_FEAT_SINGLE_MMAP) {
    if (cq_sz > sq_sz) sq_sz = cq_sz;
    cq_sz = sq_sz;
  }
  sq_ptr = mmap(0, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (sq_ptr == MAP_FAILED) { printf("setup mmap %d\n", -errno); return -1; }
  if (p.features & IORING_FEAT_SINGLE_MMAP) cq_ptr = sq_ptr;
  else {
    cq_ptr = mmap(0, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    if (cq_ptr == MAP_FAILED) { printf("setup mmap %d\n", -errno); return -1; }
  }
  sqes_sz = p.sq_entries * sqe_size;
  sqes_ptr = mmap(0, sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes_ptr == MAP_FAILED) { printf("setup mmap %d\n", -errno); return -1; }
  sq_head = (unsigned *)((char *)sq_ptr + p.sq_off.head);
  sq_tail = (unsigned *)((char *)sq_ptr + p.sq_off.tail);
  sq_mask = (unsigned *)((char *)sq_ptr + p.sq_off.ring_mask);
  sq_flags = (unsigned *)((char *)sq_ptr + p.sq_off.flags);
  sq_array = (flags & (1u << 16)) ? NULL : (unsigned *)((char *)sq_ptr + p.sq_off.array);
  cq_head = (unsigned *)((char *)cq_ptr + p.cq_off.head);
  cq_tail = (unsigned *)((char *)cq_ptr + p.cq_off.tail);
  cq_mask = (unsigned *)((char *)cq_ptr + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)((char *)cq_ptr + p.cq_off.cqes);
  if (sq_array) for (unsigned i = 0; i < p.sq_entries; i++) sq_array[i] = i;
  local_tail = *sq_tail;
  printf("setup 0 %u %u\n", p.sq_entries, p.cq_entries);
  return 0;
}

static void reap(void) {
  unsigned head = *cq_head;
  unsigned tail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
  while (head != tail) {
    struct io_uring_cqe *c = (struct io_uring_cqe *)((char *)cqes + (size_t)(head & *cq_mask) * cqe_size);
    printf("cqe %llu %d %u\n", (unsigned long long)c->user_data, c->res, c->flags);
    head++;
    reaped++;
  }
  __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
}

// io_uring_enter; a wait that the kernel would never satisfy is cut short by
// a timer (no SA_RESTART, so the syscall returns -EINTR) and printed as HANG.
static void do_enter(unsigned to_submit, unsigned min_complete, unsigned flags, int timeout_ms) {
  struct itimerval it = {0};
  int timed = (flags & IORING_ENTER_GETEVENTS) && min_complete > 0;
  if (timed) {
    it.it_value.tv_sec = timeout_ms / 1000;
    it.it_value.tv_usec = (timeout_ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
  }
  int ret = (int)syscall(__NR_io_uring_enter, ring_fd, to_submit, min_complete, flags, NULL, 0);
  int err = errno;
  if (timed) {
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
  }
  if (ret < 0 && err == EINTR) printf("enter HANG\n");
  else printf("enter %d\n", ret < 0 ? -err : ret);
}

static int fd_token(const char *t) {
  if (!strcmp(t, "d")) return dev_fd;
  if (!strcmp(t, "r")) return ring_fd;
  return atoi(t);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: runner <program-file> [block-device]\n"); return 2; }
  FILE *in = fopen(argv[1], "r");
  if (!in) { perror(argv[1]); return 2; }
  if (argc > 2) {
    dev_fd = open(argv[2], O_RDWR | O_DIRECT);
    if (dev_fd < 0) { perror(argv[2]); return 2; }
  }
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  static char line[LINE_MAX_BYTES];
  int skip = 0; // the program's setup failed: ignore its steps
  while (fgets(line, sizeof(line), in)) {
    line[strcspn(line, "\n")] = 0;
    char *save = NULL;
    char *cmd = strtok_r(line, " ", &save);
    if (!cmd) continue;
    if (!strcmp(cmd, "P")) {
      ring_close();
      bufs_free();
      reaped = 0;
      skip = 0;
      printf("P %s\n", strtok_r(NULL, " ", &save));
      continue;
    }
    if (skip) continue;
    if (!strcmp(cmd, "S")) {
      unsigned e = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      unsigned f = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      unsigned c = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      if (do_setup(e, f, c) < 0) { ring_close(); skip = 1; }
    } else if (!strcmp(cmd, "B")) {
      int k = atoi(strtok_r(NULL, " ", &save));
      size_t n = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
      char *seed = strtok_r(NULL, " ", &save);
      buf[k] = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      buf_len[k] = n;
      // "z": left zeroed (an iovec area: entries past the written ones are empty).
      if (strcmp(seed, "z")) fill(buf[k], n, strtoul(seed, NULL, 0));
    } else if (!strcmp(cmd, "V")) {
      // V k off n ref:len ... : an iovec array at buffer k + off
      int k = atoi(strtok_r(NULL, " ", &save));
      size_t off = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
      int n = atoi(strtok_r(NULL, " ", &save));
      struct iovec *v = (struct iovec *)((char *)buf[k] + off);
      for (int i = 0; i < n; i++) {
        char *t = strtok_r(NULL, " ", &save);
        char *l = strrchr(t, '/');
        v[i].iov_len = strtoull(l + 1, NULL, 0);
        *l = 0;
        v[i].iov_base = (void *)(uintptr_t)parse_ref(t);
      }
    } else if (!strcmp(cmd, "RB")) {
      int n = atoi(strtok_r(NULL, " ", &save));
      struct iovec v[64];
      for (int i = 0; i < n; i++) {
        char *t = strtok_r(NULL, " ", &save);
        char *l = strrchr(t, '/');
        v[i].iov_len = strtoull(l + 1, NULL, 0);
        *l = 0;
        v[i].iov_base = (void *)(uintptr_t)parse_ref(t);
      }
      int ret = (int)syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_BUFFERS, v, n);
      printf("reg %d\n", ret < 0 ? -errno : ret);
    } else if (!strcmp(cmd, "RF")) {
      int n = atoi(strtok_r(NULL, " ", &save));
      int fds[64];
      for (int i = 0; i < n; i++) fds[i] = fd_token(strtok_r(NULL, " ", &save));
      int ret = (int)syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_FILES, fds, n);
      printf("reg %d\n", ret < 0 ? -errno : ret);
    } else if (!strcmp(cmd, "Q")) {
      // Q hex128 addr-ref fd-token: one SQE, addr and fd patched symbolically
      char *hex = strtok_r(NULL, " ", &save);
      char *ref = strtok_r(NULL, " ", &save);
      char *fdt = strtok_r(NULL, " ", &save);
      unsigned char *s = (unsigned char *)sqes_ptr + (size_t)(local_tail & *sq_mask) * sqe_size;
      memset(s, 0, sqe_size);
      for (int i = 0; i < 64; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        s[i] = (unsigned char)v;
      }
      if (strcmp(ref, "-")) {
        uint64_t a = parse_ref(ref);
        memcpy(s + 16, &a, 8);
      }
      if (strcmp(fdt, "-")) {
        int32_t f = fd_token(fdt);
        memcpy(s + 4, &f, 4);
      }
      local_tail++;
      __atomic_store_n(sq_tail, local_tail, __ATOMIC_RELEASE);
    } else if (!strcmp(cmd, "E")) {
      unsigned ts = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      unsigned mc = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      unsigned fl = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
      do_enter(ts, mc, fl, 300);
    } else if (!strcmp(cmd, "C")) {
      reap();
    } else if (!strcmp(cmd, "F")) {
      printf("sqflags %u\n", __atomic_load_n(sq_flags, __ATOMIC_ACQUIRE));
    } else if (!strcmp(cmd, "D")) {
      int k = atoi(strtok_r(NULL, " ", &save));
      size_t off = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
      size_t n = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
      uint32_t h = 2166136261u;
      const unsigned char *b = (const unsigned char *)buf[k] + off;
      for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
      printf("data %08x\n", h);
    } else if (!strcmp(cmd, "Z")) {
      // Z n: let in-flight work (io-wq, task work) finish until n CQEs of
      // the program were read; a wait that would never end is cut short.
      long want = strtol(strtok_r(NULL, " ", &save), NULL, 0);
      reap();
      for (int tries = 0; tries < 8 && reaped < want; tries++) {
        struct itimerval it = {0};
        it.it_value.tv_usec = 50 * 1000;
        setitimer(ITIMER_REAL, &it, NULL);
        int ret = (int)syscall(__NR_io_uring_enter, ring_fd, 0, (unsigned)(want - reaped),
                               IORING_ENTER_GETEVENTS, NULL, 0);
        int err = errno;
        memset(&it, 0, sizeof(it));
        setitimer(ITIMER_REAL, &it, NULL);
        reap();
        if (ret < 0 && err == EINTR) break;
      }
      // One more non-blocking pass, as dmasim's drain ends with one: task
      // work still queued (DEFER_TASKRUN) runs, the overflow list flushes.
      syscall(__NR_io_uring_enter, ring_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
      reap();
    } else {
      fprintf(stderr, "runner: bad line: %s\n", cmd);
      return 2;
    }
  }
  ring_close();
  bufs_free();
  fflush(stdout);
  return 0;
}
