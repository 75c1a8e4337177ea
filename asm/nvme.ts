// NVMe host driver and controller (skeleton; completed by the storage layer).
export function nvme_poll(core: i32): u32 { return 0; }
export function nvme_poll_pending(core: i32): bool { return false; }
export function nvme_cqe_event(cmd: u32): void {}
