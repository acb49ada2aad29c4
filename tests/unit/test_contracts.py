"""The generated contract modules are committed: they must match the .proto files."""

from workbench.commands.protos import generate, proto_files


def test_generated_modules_are_fresh(project, tmp_path):
    generate(project, tmp_path)
    contracts = project.root / "domain" / "contracts"
    generated = sorted((tmp_path / "domain" / "contracts").iterdir())
    assert len(generated) == 3 * len(proto_files(project))
    for fresh in generated:
        committed = contracts / fresh.name
        assert committed.exists(), f"{committed.name} is missing: run `bf protos`"
        assert committed.read_text() == fresh.read_text(), f"{committed.name} is stale: run `bf protos`"


def test_kata_contract_field_numbers(domain):
    messages = domain.messages
    listed = messages["ListLocationsResp"].DESCRIPTOR.nested_types_by_name["Loc"]
    assert listed.fields_by_name["chidren"].number == 5  # the misspelling is the contract
    assert messages["SpecRequest"].DESCRIPTOR.fields_by_name["NextUid"].number == 3
    assert messages["Reserved"].DESCRIPTOR.fields_by_name["items"].number == 4
    assert messages["AddProductsResp"].DESCRIPTOR.fields_by_name["uids"].number == 2
    assert messages["AddLocationsReq"].DESCRIPTOR.full_name == "protos.AddLocationsReq"
