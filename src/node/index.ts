// Node-only entry: see DESIGN.md.
export {};
