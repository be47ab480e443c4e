// name: workshop_list
// purpose: every workshop with how many notes, votes and actions it has recorded
// params: (none)
// returns: workshop, notes, votes, actions
MATCH (w:Workshop)
RETURN properties(w) AS workshop,
       COUNT { (w)<-[:ON]-(n:Note) WHERE n.kind = 'note' } AS notes,
       COUNT { (w)-[:VOTED_ON]->(:Note) } AS votes,
       COUNT { (w)<-[:ON]-(:Action) } AS actions
ORDER BY w.created, w.id
