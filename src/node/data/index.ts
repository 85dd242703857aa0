// Filled by the dataset readers and registry.
export {};
