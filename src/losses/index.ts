// Filled by the losses module; re-exported from the root entry.
export {};
