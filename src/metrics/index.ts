// Filled by the metrics module; re-exported from the root entry.
export {};
