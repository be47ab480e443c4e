// name: workshop_votes
// purpose: every dot-vote in a workshop: who placed it, when, on which item
// params: $workshop
// returns: item, member, name, at
MATCH (w:Workshop {id: $workshop})-[v:VOTED_ON]->(n:Note)
RETURN n.id AS item, v.member AS member, v.name AS name, v.at AS at
ORDER BY at, item
