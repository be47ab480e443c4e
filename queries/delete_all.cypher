// name: delete_all
// purpose: remove every node and relationship
// params: (none)
// returns: (nothing)
MATCH (n)
DETACH DELETE n
