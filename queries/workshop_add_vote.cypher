// name: workshop_add_vote
// purpose: place one dot-vote on a workshop's vote item and keep the item's votes count in step
// params: $workshop, $item, $member, $name, $at
// returns: votes
MATCH (w:Workshop {id: $workshop})
MATCH (n:Note {id: $item})
CREATE (w)-[:VOTED_ON {member: $member, name: $name, at: $at}]->(n)
WITH n
SET n.votes = COUNT { (:Workshop)-[:VOTED_ON]->(n) }
RETURN n.votes AS votes
