"""The deeplearning.ai course: its column-layout adapters (``compat``) and published values (``reference``, ``lstm_reference``)."""
