/*
 * The real kernel's io_uring NOP rate on this machine, the workload of the
 * simulator's ring-core benchmark (bench/nop.ts): queue depth 128, NOPs
 * submitted in batches of 32, completions reaped as they come, one thread.
 * Prints one line: "<nops> <seconds>" for `deno task bench:kernel`.
 *
 * Build: gcc -O2 -o kernel_nop bench/kernel_nop.c -luring
 * Usage: kernel_nop [total NOPs, default 20000000]
 */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEPTH 128
#define BATCH 32

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 20000000;
	struct io_uring ring;
	int ret = io_uring_queue_init(DEPTH, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	long issued = 0, done = 0;
	double t0 = now_s();
	while (done < total) {
		/* Keep DEPTH in flight, submitting in batches of BATCH (as bench/nop.ts). */
		while (issued - done <= DEPTH - BATCH && issued < total) {
			for (int i = 0; i < BATCH; i++)
				io_uring_prep_nop(io_uring_get_sqe(&ring));
			ret = io_uring_submit(&ring);
			if (ret < 0) {
				fprintf(stderr, "io_uring_submit: %s\n", strerror(-ret));
				return 1;
			}
			issued += ret;
		}
		struct io_uring_cqe *cqes[DEPTH];
		unsigned n = io_uring_peek_batch_cqe(&ring, cqes, DEPTH);
		if (n == 0) {
			struct io_uring_cqe *cqe;
			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
				return 1;
			}
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (cqes[i]->res < 0) {
				fprintf(stderr, "NOP failed: %s\n", strerror(-cqes[i]->res));
				return 1;
			}
		}
		io_uring_cq_advance(&ring, n);
		done += n;
	}
	double secs = now_s() - t0;
	io_uring_queue_exit(&ring);
	printf("%ld %.9f\n", done, secs);
	return 0;
}
