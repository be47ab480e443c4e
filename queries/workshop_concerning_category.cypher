// name: workshop_concerning_category
// purpose: workshop notes, vote items and actions that concern one category (for its detail page)
// params: $key
// returns: record, properties
MATCH (t:Category {code: $key})<-[:CONCERNS]-(n)
WHERE n:Note OR n:Action
RETURN CASE WHEN n:Action THEN 'action' ELSE 'note' END AS record, properties(n) AS properties
ORDER BY n.created, n.id
