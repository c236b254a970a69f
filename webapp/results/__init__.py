"""What the blueprints share: the neutral presentation layer between the engine and the pages and API.

- ``schema``: parsing and validating a check request (the answers) into the engine's request;
- ``form_state``: the mapping between what a person ticks on the form and those answers;
- ``answers``: the answers kept in the session, evaluating them, and grouping results;
- ``answer_rows``: the rows of "check your answers", in the person's own terms;
- ``serialize``: the views of a result, a label and a practice section, as JSON-ready dicts;
- ``jsonio``: reading a JSON request body and answering with field errors, in the documented order;
- ``openapi``: the OpenAPI document, assembled from the part each blueprint declares.

Blueprints (``patient``, ``summaries``, ``labels``, ``api``, ``core``) import this package and the engine,
never each other; this package imports no blueprint (tests/test_layering.py).
"""
