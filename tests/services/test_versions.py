from services import versions


def test_a_wave_write_changes_that_wave_only():
    before_a, before_b = versions.data_version("A"), versions.data_version("B")
    versions.changed("A")
    assert versions.data_version("A") != before_a
    assert versions.data_version("B") == before_b


def test_an_organisation_write_changes_every_wave():
    before_a, before_none = versions.data_version("A"), versions.data_version()
    versions.changed()
    assert versions.data_version("A") != before_a
    assert versions.data_version() != before_none
