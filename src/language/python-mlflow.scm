; What the Runboard language server reads in a Python file. Captures are interpreted in analysis.ts
; (aliases are resolved there: `import mlflow as mf`, `from mlflow import log_param`).

; import mlflow / import mlflow.sklearn / import mlflow as mf
(import_statement
  name: (dotted_name) @import.module) @import
(import_statement
  name: (aliased_import
    name: (dotted_name) @import.module
    alias: (identifier) @import.alias)) @import

; from mlflow import log_param, start_run as run
(import_from_statement
  module_name: (dotted_name) @from.module
  name: (dotted_name) @from.name) @from
(import_from_statement
  module_name: (dotted_name) @from.module
  name: (aliased_import
    name: (dotted_name) @from.name
    alias: (identifier) @from.alias)) @from

; Every call with its callee: mlflow.log_param(...), mf.start_run(...), log_metric(...), mlflow.sklearn.autolog()
(call
  function: [(identifier) (attribute)] @call.function
  arguments: (argument_list) @call.arguments) @call

; Every plain string literal (runs:/ and models:/ URIs are found among them)
(string) @string

; if __name__ == "__main__":
(if_statement
  condition: (comparison_operator
    (identifier) @main.name
    (string (string_content) @main.value))
  (#eq? @main.name "__name__")
  (#eq? @main.value "__main__")) @main
