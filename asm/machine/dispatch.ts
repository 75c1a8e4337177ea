// The event dispatcher: one step of the simulation pops the earliest event
// and hands it to the layer that owns it.

import { ev_pop, EV_FQ_TIMER, EV_GPU_COPY, EV_INVALIDATE, EV_NVME_CQE, EV_SAMPLE, EV_THREAD, EV_WORKER } from "../sim/engine";
import { wl_copy_event, wl_sample_event, wl_thread_event } from "../user/workload";
import { dmabuf_invalidate_event, dmabuf_worker_event } from "../dmabuf/dmabuf";
import { nvme_ctrl_event } from "../nvme/pci";
import { iommu_fq_timer } from "../iommu/iommu";
import { fail, SIM_ERR_INVARIANT } from "../sim/errors";

export function sim_step(): void {
  const payload = ev_pop();
  const kind = <u32>(payload >> 32);
  const arg = <u32>payload;
  if (kind == EV_NVME_CQE) nvme_ctrl_event(arg);
  else if (kind == EV_THREAD) wl_thread_event(arg);
  else if (kind == EV_FQ_TIMER) iommu_fq_timer(<i32>arg);
  else if (kind == EV_INVALIDATE) dmabuf_invalidate_event(arg);
  else if (kind == EV_WORKER) dmabuf_worker_event(arg);
  else if (kind == EV_SAMPLE) wl_sample_event();
  else if (kind == EV_GPU_COPY) wl_copy_event();
  else fail(SIM_ERR_INVARIANT, <i64>kind);
}
