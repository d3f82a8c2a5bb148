"""Alert keys as people read them: URL-quoted values decoded, a customer id shown as the customer's name."""

from __future__ import annotations

from alerts.inbox import CustomerSummary
from alerts.messages import display_key


def test_keys_read_decoded_and_customers_by_name() -> None:
    assert display_key("author=%E5%B0%8F%E6%98%8E&site=example.com") == "author=小明, site=example.com"
    ana = CustomerSummary(customer_id="3d4a63", name="Ana Lima", tier="gold")
    assert display_key("customer=3d4a63&site=x.com", ana) == "customer=Ana Lima, site=x.com"
    assert display_key("customer=other", ana) == "customer=other"  # another customer's key stays an id
    assert display_key("customer=3d4a63", CustomerSummary(customer_id="3d4a63")) == "customer=3d4a63"
