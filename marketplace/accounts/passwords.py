"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 30 ms a login on
# this 2-core machine, where the library default (64 MiB, 3 passes, 4 lanes) took 350 ms and
# would let a burst of logins starve the server. Hashes record their parameters, so raising
# them later rehashes each password at its owner's next login (see ``needs_rehash``).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

# Passwords seen at the top of public leak statistics, including the patterns common on Chinese
# sites (pinyin, 520/1314, QQ numbers). Compared case-insensitively; a password is also refused
# when it is only such a word with digits around it, or contains the account's email name.
COMMON_PASSWORDS = frozenset(
    [
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "0123456789",
        "11111111",
        "111111111",
        "1111111111",
        "00000000",
        "000000000",
        "0000000000",
        "88888888",
        "888888888",
        "66666666",
        "666666666",
        "12341234",
        "123123123",
        "123321123",
        "11223344",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "qwerty",
        "qwerty123",
        "qwertyuiop",
        "qwer1234",
        "1qaz2wsx",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "zaq12wsx",
        "abc123",
        "abc12345",
        "abcd1234",
        "abcdefg",
        "abcdefgh",
        "a12345678",
        "a123456789",
        "aa123456",
        "aa12345678",
        "asd123456",
        "asdf1234",
        "asdfghjkl",
        "iloveyou",
        "iloveyou1",
        "letmein",
        "letmein123",
        "welcome",
        "welcome1",
        "welcome123",
        "admin",
        "admin123",
        "admin1234",
        "administrator",
        "root123456",
        "changeme",
        "changeme123",
        "trustno1",
        "football",
        "baseball",
        "dragon",
        "monkey",
        "sunshine",
        "princess",
        "superman",
        "woaini",
        "woaini1314",
        "woaini520",
        "5201314",
        "52013145201314",
        "1314520",
        "1314521",
        "wangyang",
        "zhangwei",
        "liuyang",
        "qq123456",
        "qq1234567",
        "qq12345678",
        "aini1314",
        "iloveyou1314",
        "woshishui",
        "zxcvbnm",
        "zxcvbnm123",
        "zxcvbn",
        "computer",
        "internet",
        "shanghai",
        "beijing",
        "suzhou",
        "suzhou123",
        "nanjing",
        "china123",
        "zhongguo",
        "password2026",
        "password2025",
        "password2024",
        "qazwsxedc",
        "qazwsx123",
        "1qazxsw2",
        "147258369",
        "159753",
        "159357",
        "147258",
        "987654321",
        "9876543210",
        "741852963",
        "789456123",
        "7758521",
        "7758258",
        "woainima",
        "woaini123",
        "caonima",
    ]
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or an unusable hash."""
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Hashing takes tens of milliseconds of CPU: on the event loop it stalls every other request.
# It runs in worker threads, at most as many at once as the machine has cores to spare.
_HASHING_SLOTS = asyncio.Semaphore(2)


async def verify_password_in_thread(stored_hash: str, password: str) -> bool:
    async with _HASHING_SLOTS:
        return await asyncio.to_thread(verify_password, stored_hash, password)


async def hash_password_in_thread(password: str) -> str:
    async with _HASHING_SLOTS:
        return await asyncio.to_thread(hash_password, password)


@functools.cache
def _equaliser_hash() -> str:
    return hash_password("timing-equaliser-not-a-password")


async def timing_equaliser_hash() -> str:
    """A real hash with the current parameters, computed once: verifying a guess against it
    costs what verifying against an account's hash costs, so an unknown e-mail answers as slowly
    as a known one."""
    return await asyncio.to_thread(_equaliser_hash)


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is not acceptable (a message for the user), or None if it is."""
    if len(password) < MIN_LENGTH:
        return f"密码至少需要 {MIN_LENGTH} 个字符。"
    if len(password) > 256:
        return "密码不能超过 256 个字符。"
    lowered = password.lower()
    core = lowered.strip("0123456789!@#._-")
    if lowered in COMMON_PASSWORDS or core in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "这个密码太常见，容易被猜到，请换一个。"
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        return "密码不能包含邮箱用户名。"
    return None
