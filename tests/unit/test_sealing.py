import pytest
from pydantic import SecretStr

from claworc_tui.crypto.sealing import Sealer, new_key
from claworc_tui.models.errors import WrongEncryptionKey


def test_round_trip() -> None:
    sealer = Sealer(new_key())
    token = sealer.seal("sk-ant-secret-value-1234")
    assert "sk-ant" not in token
    assert sealer.unseal(token).get_secret_value() == "sk-ant-secret-value-1234"
    assert sealer.unseal(sealer.seal(SecretStr("abc"))).get_secret_value() == "abc"


def test_wrong_key_is_a_clear_error() -> None:
    token = Sealer(new_key()).seal("secret")
    with pytest.raises(WrongEncryptionKey, match="encrypted with a different key"):
        Sealer(new_key()).unseal(token)
    assert not Sealer(new_key()).opens(token)


def test_damaged_token_is_the_same_clear_error() -> None:
    with pytest.raises(WrongEncryptionKey):
        Sealer(new_key()).unseal("not-a-token")


def test_invalid_key_material() -> None:
    with pytest.raises(ValueError, match="not valid"):
        Sealer(b"too-short")


def test_repr_hides_the_key() -> None:
    key = new_key()
    assert key.decode() not in repr(Sealer(key))
