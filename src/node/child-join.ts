// Loaded by a child node of a cluster member (its parent names this module in the child's boot):
// joins the parent's cluster registry, saying where the child listens.
export { joinRegistry } from './registry-wiring.ts'
