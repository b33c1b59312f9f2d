"""The examples in the public docstrings run and give what they show."""

import doctest

import pytest

import hingeclf.model_selection
import hingeclf.svm


@pytest.mark.parametrize("module", [hingeclf.svm, hingeclf.model_selection])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
