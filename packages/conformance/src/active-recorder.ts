import type { SecrecyRecorder } from './secrecy-recorder.js';

let active: SecrecyRecorder | undefined;

/** The recorder of the suite now running, if any: helpers record the errors they catch into it. */
export function activeRecorder(): SecrecyRecorder | undefined {
  return active;
}

export function setActiveRecorder(recorder: SecrecyRecorder | undefined): void {
  active = recorder;
}
