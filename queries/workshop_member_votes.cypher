// name: workshop_member_votes
// purpose: how many dot-votes one member has placed in a workshop
// params: $workshop, $member
// returns: used
MATCH (w:Workshop {id: $workshop})
OPTIONAL MATCH (w)-[v:VOTED_ON]->(:Note)
WHERE v.member = $member
RETURN count(v) AS used
