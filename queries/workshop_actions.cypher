// name: workshop_actions
// purpose: a workshop's actions, oldest first
// params: $workshop
// returns: action
MATCH (w:Workshop {id: $workshop})<-[:ON]-(a:Action)
RETURN properties(a) AS action
ORDER BY a.created, a.id
