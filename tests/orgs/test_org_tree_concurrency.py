import threading

import pytest
from django.db import connection

from orgs.models import Org
from orgs.services.tree import org_create


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_org_creation_under_one_parent_leaves_a_valid_tree(hebei):
    """16 threads insert children of one city at once; the advisory lock keeps lft/rght consistent."""
    city = Org.objects.get(name="石家庄市科学技术协会")
    errors = []
    barrier = threading.Barrier(16)

    def create(i: int) -> None:
        try:
            barrier.wait()
            org_create(parent=city, name=f"并发测试园区{i}", code=f"T{i:03d}", kind="park", level="county")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Org.objects.filter(name__startswith="并发测试园区").count() == 16
    shape = sorted(Org.objects.values_list("pk", "tree_id", "lft", "rght", "depth", "parent_id"))
    Org.objects.rebuild()
    assert sorted(Org.objects.values_list("pk", "tree_id", "lft", "rght", "depth", "parent_id")) == shape
