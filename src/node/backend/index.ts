// Filled by the fast-backend module.
export {};
