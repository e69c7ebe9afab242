"""Which certified products a change would break, from a real results store (SQLite)."""

from __future__ import annotations

from changes import a_new_test_in_object_create, flag_the_marker_test
from server_support import Live
from store_support import storage_tests_2020, verified_product

from defcore.gate.impact import impact
from defcore.guidelines.sources import load

ETAG = "tempest.api.object_storage.test_object_services.ObjectTest.test_create_object_with_etag"


def test_products_the_change_would_break(store: Live) -> None:
    vendor_id, vadmin = store.vendor("impact")
    # Both pass Storage 2020.06 and are verified for it (the server verifies nothing else).
    ran_etag = verified_product(store, vendor_id, vadmin.token, storage_tests_2020(ETAG))
    no_etag = verified_product(store, vendor_id, vadmin.token, storage_tests_2020())
    change = a_new_test_in_object_create()
    found = {i.product: i for i in impact(store.database_url, load("2020.06"), change)}
    assert set(found) >= {ran_etag, no_etag}
    assert found[ran_etag].passes_base and found[ran_etag].passes_change
    assert not found[ran_etag].breaks
    assert found[no_etag].breaks
    assert found[no_etag].newly_failing == ("objectstore-object-create",)


def test_a_flag_breaks_nobody(store: Live) -> None:
    vendor_id, vadmin = store.vendor("flag")
    product = verified_product(store, vendor_id, vadmin.token, storage_tests_2020())
    found = {
        i.product: i for i in impact(store.database_url, load("2020.06"), flag_the_marker_test())
    }
    assert product in found
    assert not any(i.breaks for i in found.values())
