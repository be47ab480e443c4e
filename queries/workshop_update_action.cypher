// name: workshop_update_action
// purpose: change an action's text, owner, due date or status ($props holds only the keys that change)
// params: $workshop, $id, $props
// returns: action
MATCH (w:Workshop {id: $workshop})<-[:ON]-(a:Action {id: $id})
SET a += $props
RETURN properties(a) AS action
