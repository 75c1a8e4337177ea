// The simulated process's file descriptor table. Each open() makes a new
// struct file (a unique file id), so two opens of one device are different
// files: the dma-buf registration checks file identity, not the device.

import { FDS_MAX, USER_FDS } from "../sim/limits";
import { INV_HOOK_UNSET, invariant_fail } from "../sim/errors";
import { FDD_FILE, FDD_FLAGS, FDD_OBJ, FDD_SIZE, FT_NONE, FT_TTY } from "../sim/uapi";

/**
 * What a close does to the object behind a file (f_op->release): the
 * dma-buf layer's reference drop for memfds and dma-bufs. Registered once
 * at machine set-up; the file table itself knows no object types' rules.
 */
let release_hook: (type: u8, obj: i32) => void = release_unset;
function release_unset(type: u8, obj: i32): void {
  invariant_fail(INV_HOOK_UNSET, 104); // machine set-up did not register the release hook
}
/** Register the release of closed files' objects (machine set-up). */
export function files_set_release(fn: (type: u8, obj: i32) => void): void {
  release_hook = fn;
}

export { FT_NONE, FT_TTY, FT_BLKDEV, FT_RING, FT_DMABUF, FT_MEMFD, FT_REG, FT_STACKED } from "../sim/uapi";

const fd_type = new StaticArray<u8>(FDS_MAX);
const fd_obj = new StaticArray<i32>(FDS_MAX);
const fd_flags = new StaticArray<u32>(FDS_MAX);
const fd_file = new StaticArray<u32>(FDS_MAX);
let next_file_id: u32 = 1;

export function files_init(): void {
  for (let i = 0; i < FDS_MAX; i++) {
    unchecked((fd_type[i] = i < 3 ? FT_TTY : FT_NONE));
    unchecked((fd_obj[i] = -1));
    unchecked((fd_flags[i] = 0));
    unchecked((fd_file[i] = i < 3 ? <u32>(i + 1) : 0));
  }
  next_file_id = 4;
}

/** Install a new file in the lowest free descriptor; -EMFILE (-24) when full. */
export function fd_install(type: u8, obj: i32, flags: u32): i32 {
  for (let i = 0; i < USER_FDS; i++) {
    if (unchecked(fd_type[i]) == FT_NONE) {
      unchecked((fd_type[i] = type));
      unchecked((fd_obj[i] = obj));
      unchecked((fd_flags[i] = flags));
      unchecked((fd_file[i] = next_file_id++));
      return i;
    }
  }
  return -24;
}

export function fd_close(fd: i32): i32 {
  if (!fd_valid_user(fd)) return -9;
  // The object behind the file loses this reference (memfds and dma-bufs are counted).
  release_hook(unchecked(fd_type[fd]), unchecked(fd_obj[fd]));
  unchecked((fd_type[fd] = FT_NONE));
  unchecked((fd_obj[fd] = -1));
  unchecked((fd_file[fd] = 0));
  return 0;
}

/**
 * Take a reference on the file behind user descriptor `fd`, as a registered
 * file table does (the file stays usable after the program closes `fd`):
 * a slot above USER_FDS sharing the file's identity. -EMFILE when none is left.
 */
export function file_ref_get(fd: i32): i32 {
  for (let i = USER_FDS; i < FDS_MAX; i++) {
    if (unchecked(fd_type[i]) == FT_NONE) {
      unchecked((fd_type[i] = unchecked(fd_type[fd])));
      unchecked((fd_obj[i] = unchecked(fd_obj[fd])));
      unchecked((fd_flags[i] = unchecked(fd_flags[fd])));
      unchecked((fd_file[i] = unchecked(fd_file[fd])));
      return i;
    }
  }
  return -24;
}

/** Drop a reference from file_ref_get. */
export function file_ref_put(ref: i32): void {
  if (ref < USER_FDS || ref >= FDS_MAX) return;
  assert(unchecked(fd_type[ref]) != FT_NONE, "files: a registered file reference put twice");
  unchecked((fd_type[ref] = FT_NONE));
  unchecked((fd_obj[ref] = -1));
  unchecked((fd_file[ref] = 0));
}

/** A descriptor the program may name: open and below USER_FDS. */
// @ts-ignore: decorator
@inline export function fd_valid_user(fd: i32): bool {
  return fd >= 0 && fd < USER_FDS && unchecked(fd_type[fd]) != FT_NONE;
}

// @ts-ignore: decorator
@inline export function fd_valid(fd: i32): bool {
  return fd >= 0 && fd < FDS_MAX && unchecked(fd_type[fd]) != FT_NONE;
}

export function fd_type_of(fd: i32): u8 {
  return fd >= 0 && fd < FDS_MAX ? unchecked(fd_type[fd]) : FT_NONE;
}

export function fd_obj_of(fd: i32): i32 {
  return unchecked(fd_obj[fd]);
}

export function fd_flags_of(fd: i32): u32 {
  return unchecked(fd_flags[fd]);
}

/** The struct file identity behind `fd` (0 when not open). */
export function fd_file_of(fd: i32): u32 {
  return fd >= 0 && fd < FDS_MAX ? unchecked(fd_file[fd]) : 0;
}

/** Where fd_describe writes its answer (struct fd_describe, FDD_*): its own static area, never the scratch. */
const fdd_area: usize = memory.data(<i32>FDD_SIZE, 8);

/**
 * fget for the control path (src/kernel/): what user descriptor `fd` is.
 * Returns its type (FT_NONE when the program may not name it: not open, or
 * not below USER_FDS) and writes its object, open flags and file identity at
 * fd_describe_area() (struct fd_describe, FDD_*). One call per descriptor a
 * control operation names; no I/O goes through here.
 */
export function fd_describe(fd: i32): u8 {
  if (!fd_valid_user(fd)) return FT_NONE;
  store<i32>(fdd_area + FDD_OBJ, unchecked(fd_obj[fd]));
  store<u32>(fdd_area + FDD_FLAGS, unchecked(fd_flags[fd]));
  store<u32>(fdd_area + FDD_FILE, unchecked(fd_file[fd]));
  return unchecked(fd_type[fd]);
}

/** The address fd_describe writes its answer at (fixed for the life of the module). */
export function fd_describe_area(): usize {
  return fdd_area;
}
