// name: workshop_concerning_service
// purpose: workshop notes, vote items and actions that concern one service (for its detail page)
// params: $key
// returns: record, properties
MATCH (t:Service {id: $key})<-[:CONCERNS]-(n)
WHERE n:Note OR n:Action
RETURN CASE WHEN n:Action THEN 'action' ELSE 'note' END AS record, properties(n) AS properties
ORDER BY n.created, n.id
