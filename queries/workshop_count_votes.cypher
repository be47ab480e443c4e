// name: workshop_count_votes
// purpose: recount a vote item's dot-votes into its votes property
// params: $item
// returns: votes
MATCH (n:Note {id: $item})
SET n.votes = COUNT { (:Workshop)-[:VOTED_ON]->(n) }
RETURN n.votes AS votes
