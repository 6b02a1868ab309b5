import base64

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


def test_opens_agrees_with_fernet_decrypt() -> None:
    """``opens`` checks the token's HMAC without the cipher: it must say what decrypt says."""
    from cryptography.fernet import Fernet, InvalidToken

    key = new_key()
    sealer = Sealer(key)
    own = sealer.seal("claworc-key-check-v1")
    other = Sealer(new_key()).seal("claworc-key-check-v1")
    raw = bytearray(base64.urlsafe_b64decode(own))
    raw[30] ^= 1  # one bit of the ciphertext changed: the HMAC no longer matches
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    cut = own[:-8]
    candidates = [own, other, tampered, cut, "", "not-a-token", "gAAAAA", "é"]
    for token in candidates:
        try:
            Fernet(key).decrypt(token.encode())
            decrypts = True
        except (InvalidToken, UnicodeError, ValueError):
            decrypts = False
        assert sealer.opens(token) is decrypts, token
    assert sealer.opens(own)
    assert Sealer(key).opens(Fernet(key).encrypt(b"made by cryptography itself").decode())


def test_a_key_fernet_refuses_is_refused() -> None:
    for key in (b"", b"not base64 !!", base64.urlsafe_b64encode(b"x" * 31)):
        with pytest.raises(ValueError, match="not valid"):
            Sealer(key)
