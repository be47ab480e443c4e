// name: workshop_concerning_place
// purpose: workshop notes, vote items and actions that concern one place (for its detail page)
// params: $key
// returns: record, properties
MATCH (t:Place {code: $key})<-[:CONCERNS]-(n)
WHERE n:Note OR n:Action
RETURN CASE WHEN n:Action THEN 'action' ELSE 'note' END AS record, properties(n) AS properties
ORDER BY n.created, n.id
