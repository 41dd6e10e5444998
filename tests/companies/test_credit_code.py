import pytest

from marketplace.companies.credit_code import demo_credit_code, is_valid_credit_code


def test_known_valid_code():
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")


@pytest.mark.parametrize(
    "code", ["", "123", "91350100M000100Y4", "91350100M000100Y433", "9135010OM000100Y43"]
)
def test_malformed_codes(code):
    assert not is_valid_credit_code(code)


def test_demo_codes_are_valid_and_stable():
    codes = {demo_credit_code(f"co-{i}") for i in range(200)}
    assert len(codes) == 200
    assert all(is_valid_credit_code(c) for c in codes)
    assert demo_credit_code("co-1") == demo_credit_code("co-1")
