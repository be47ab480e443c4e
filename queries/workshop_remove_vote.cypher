// name: workshop_remove_vote
// purpose: take back one of a member's dot-votes on a vote item (the latest)
// params: $workshop, $item, $member
// returns: removed
MATCH (w:Workshop {id: $workshop})-[v:VOTED_ON]->(n:Note {id: $item})
WHERE v.member = $member
WITH v ORDER BY v.at DESC LIMIT 1
DELETE v
RETURN count(*) AS removed
