// The event dispatcher, at the top of the machine: it imports every layer,
// so what travels up the stack from an event (a posted CQE waking a polling
// thread or raising an interrupt, an exporter's invalidation, an io-wq
// worker, a sampler tick) is a direct call down from here. One step pops
// the earliest event and hands it to the layer that owns it. The few calls
// that go up from inside a layer (end_io, issue of a linked request,
// move_notify, file release, waiting in io_uring_enter) are hooks registered
// here once, by machine_hooks, at machine set-up.

import {
  core_poll_waiter, ev_drop_top, ev_top, EV_BLK_REQUEUE, EV_BLK_RUN, EV_FQ_TIMER, EV_GPU_COPY, EV_INVALIDATE, EV_NVME_CQE, EV_NVME_DOORBELL,
  EV_NVME_IRQ_CONT, EV_NVME_MEDIA, EV_SAMPLE, EV_THREAD, EV_WORKER, set_sim_step,
} from "../sim/engine";
import { INV_EVENT_KIND, invariant_fail } from "../sim/errors";
import { iommu_fq_timer } from "../iommu/iommu";
import { files_set_release } from "../fs/files";
import { dmabuf_file_closed, dmabuf_invalidate_event, dmabuf_set_importer_ops } from "../dmabuf/dmabuf";
import { nvme_ctrl_event, nvme_doorbell_event, nvme_media_event, nvme_queue_core } from "../nvme/ctrl";
import { nvme_irq, nvme_irq_cont, nvme_set_end_rq } from "../nvme/pci";
import { blk_cmd_done, blk_set_end_io } from "../block/bio";
import { blk_mq_requeue_work, blk_mq_run_work, events_live } from "../block/blk_mq";
import { dmabuf_worker_event, io_dmabuf_move_notify, io_dmabuf_moved } from "../io_uring/dmabuf_token";
import { io_rw_end_io } from "../io_uring/rw";
import { io_uring_hooks } from "../io_uring/io_uring";
import { wl_copy_event, wl_finished, wl_sample_event, wl_thread_event } from "../user/workload";

/** Run the earliest event. */
export function sim_step(): void {
  const payload = ev_top();
  const kind = <u32>(payload >> 32);
  const arg = <u32>payload;
  // The commonest kind first: about one CQE per I/O. Its handler takes the
  // event off the queue itself (nvme_ctrl_event: replaced by the
  // controller's next CQE when there is one); every other kind is taken off
  // before its handler runs.
  if (kind == EV_NVME_CQE) {
    nvme_cqe(arg);
    return;
  }
  ev_drop_top();
  if (kind == EV_NVME_MEDIA) nvme_media_event();
  else if (kind == EV_NVME_DOORBELL) nvme_doorbell_event(arg);
  else if (kind == EV_THREAD) wl_thread_event(arg);
  else if (kind == EV_FQ_TIMER) iommu_fq_timer(<i32>arg);
  else if (kind == EV_INVALIDATE) dmabuf_invalidate_event(arg);
  else if (kind == EV_WORKER) dmabuf_worker_event(arg);
  else if (kind == EV_SAMPLE) wl_sample_event();
  else if (kind == EV_GPU_COPY) wl_copy_event(arg);
  else if (kind == EV_NVME_IRQ_CONT) nvme_irq_cont(arg);
  else if (kind == EV_BLK_RUN) blk_mq_run_work(arg);
  else if (kind == EV_BLK_REQUEUE) blk_mq_requeue_work(<i32>arg);
  else invariant_fail(INV_EVENT_KIND, <i64>kind);
}

/**
 * EV_NVME_CQE: controller `c` posts its oldest CQE. On a poll queue, a
 * workload thread spinning on it sees the CQE now and runs right away (the
 * same as an EV_THREAD now, without the queue); on an interrupt queue the
 * driver's handler runs.
 */
function nvme_cqe(c: u32): void {
  const q = nvme_ctrl_event(c);
  if ((q & 1) == 0) {
    const core = nvme_queue_core(q);
    const t = unchecked(core_poll_waiter[core]);
    if (t >= 0) {
      unchecked((core_poll_waiter[core] = -1));
      wl_thread_event(<u32>t);
    }
  } else {
    nvme_irq(q);
  }
}

/**
 * Run up to `max_events` events. Returns 1 when the run finished, 0 when the
 * budget ran out (call again), -1 when nothing is left to run (stalled: no
 * event, or only blk-mq reruns of requests that can never get their DMA
 * resources, blk_mq_stalled).
 */
export function wl_run(max_events: u32): i32 {
  for (let i: u32 = 0; i < max_events; i++) {
    if (wl_finished) return 1;
    if (!events_live()) return -1;
    sim_step();
  }
  return wl_finished ? 1 : 0;
}

/**
 * Register every upward hook (machine set-up): the engine's step for
 * io_uring_enter's waits, the file table's release, the dma-buf importer
 * ops, the NVMe driver's and the block layer's end_io, io_uring's issue.
 */
export function machine_hooks(): void {
  set_sim_step(sim_step);
  files_set_release(dmabuf_file_closed);
  dmabuf_set_importer_ops(io_dmabuf_move_notify, io_dmabuf_moved);
  nvme_set_end_rq(blk_cmd_done);
  blk_set_end_io(io_rw_end_io);
  io_uring_hooks();
}
