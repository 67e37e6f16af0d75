import shutil

import pytest

from orgs.models import Org
from orgs.services.tree import orgs_load_csv
from tests.conftest import HEBEI_CSV


def _tree_shape():
    return sorted(Org.objects.values_list("external_id", "parent__external_id", "tree_id", "lft", "rght", "depth", "name"))


@pytest.mark.django_db
def test_loading_the_hebei_file_twice_gives_253_orgs_and_the_same_tree(hebei):
    """load_orgs is idempotent: a second run creates nothing and leaves lft/rght untouched."""
    before = _tree_shape()
    result = orgs_load_csv(HEBEI_CSV)
    assert Org.objects.count() == 253
    assert (result.created, result.moved, result.updated, result.unchanged) == (0, 0, 0, 253)
    assert _tree_shape() == before


@pytest.mark.django_db
def test_the_hebei_tree_has_the_expected_shape(hebei):
    assert Org.objects.filter(parent__isnull=True).count() == 1
    assert Org.objects.filter(level="city", kind="kexie").count() == 13
    assert Org.objects.filter(parent=hebei, level="city", kind="kexie").count() == 13
    assert Org.objects.filter(level="county").count() == 188
    sjz = Org.objects.get(name="石家庄市科学技术协会")
    assert all(o.level == "county" or o.kind == "society" for o in sjz.get_children())


@pytest.mark.django_db
def test_a_changed_parent_in_the_file_moves_the_node(hebei, tmp_path):
    county = Org.objects.filter(level="county", parent__name="石家庄市科学技术协会").order_by("code")[0]
    tangshan = Org.objects.get(name="唐山市科学技术协会")
    path = tmp_path / "orgs.csv"
    shutil.copy(HEBEI_CSV, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        parts = line.split(",")
        if parts[0] == county.external_id:
            parts[1] = tangshan.external_id
            lines[i] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = orgs_load_csv(path)

    county.refresh_from_db()
    tangshan.refresh_from_db()
    assert result.moved == 1
    assert county.parent_id == tangshan.pk
    assert county in Org.objects.in_subtree(tangshan)
    shape = _tree_shape()
    Org.objects.rebuild()
    assert _tree_shape() == shape, "the tree was left inconsistent after the move"


@pytest.mark.django_db
def test_a_file_with_an_unknown_parent_is_refused_without_writing(hebei, tmp_path):
    from kexie.errors import DomainError

    path = tmp_path / "bad.csv"
    path.write_text("id,parent_id,level,kind,name\n900,1,city,kexie,新市科协\n901,999,county,kexie,孤县科协\n", encoding="utf-8")
    with pytest.raises(DomainError):
        orgs_load_csv(path)
    assert not Org.objects.filter(external_id__in=["900", "901"]).exists()


@pytest.mark.django_db
def test_load_orgs_command_reports_counts(hebei, capsys):
    from django.core.management import call_command

    call_command("load_orgs")
    assert "未变 253" in capsys.readouterr().out
