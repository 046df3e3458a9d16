; slurp's additions to tree-sitter-python's tags.scm.
(assignment left: (identifier) @name right: (lambda)) @definition.function

(function_definition body: (block) @scope)
(class_definition body: (block) @scope)
(lambda) @scope

(comment) @comment

; Module variables assigned under if/try/with at module level, as ctags
; reports them (function and class bodies are scopes, so never theirs).
(expression_statement
  (assignment left: (identifier) @name) @definition.constant)
