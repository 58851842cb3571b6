"""Sessions and sign-in: JWT session tokens, the secret that signs them, and Google's OpenID client."""

from adapters.auth.google import GoogleIdentityProvider
from adapters.auth.jwt import JwtTokenService
from adapters.auth.session_secret import load_or_create_secret

__all__ = ["GoogleIdentityProvider", "JwtTokenService", "load_or_create_secret"]
