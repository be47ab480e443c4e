// name: unload_nodes
// purpose: remove the nodes only this source contributed
// params: $source
// returns: (nothing)
MATCH (n)
WHERE n.sources = [$source]
DETACH DELETE n
