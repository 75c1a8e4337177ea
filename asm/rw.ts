// io_uring read/write (skeleton; completed by the storage layer).
import { rq, RQ_FD } from "./uring";
import { fd_valid } from "./files";
export function io_rw_prep(req: u32, id: i32, sqe: usize): i32 { return 0; }
export function io_rw_issue(req: u32, id: i32, core: i32): i32 {
  if (!fd_valid(load<i32>(rq(req) + RQ_FD))) return -9;
  return -95;
}
