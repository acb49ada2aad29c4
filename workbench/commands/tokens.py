"""`bf tokens`: the access tokens a node's data folder accepts (kept hashed, see service/tokens.py).

  bf tokens create (TENANT | --operator)   make a token, print it once (stdout: the token alone)
  bf tokens add (TENANT | --operator)      accept the token in BF_TOKEN / BF_TOKEN_FILE here too
  bf tokens list                           ids, roles, tenants, dates (never a token or its hash)
  bf tokens revoke ID                      stop accepting a token (a running node: within a second)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.commands.serve import DEFAULT_DATA
from workbench.config import Project
from workbench.service.client_token import TOKEN_ENV, TOKEN_FILE_ENV, client_token
from workbench.service.private_files import keep_files_private
from workbench.service.tenants import BadTenantName
from workbench.service.tokens import TokenError, TokenStore

EXIT_BAD_INPUT = 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("tokens", help="create, list and revoke the access tokens of a node")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("create", "make a token and print it once"),
                       ("add", f"accept the token in {TOKEN_ENV} or {TOKEN_FILE_ENV} on this node too")):
        action = actions.add_parser(name, help=text)
        whom = action.add_mutually_exclusive_group(required=True)
        whom.add_argument("tenant", nargs="?", help="the tenant the token may act on")
        whom.add_argument("--operator", action="store_true", help="a token for every tenant and every operation")
        _data_option(action)
    _data_option(actions.add_parser("list", help="the tokens this node accepts"))
    revoke = actions.add_parser("revoke", help="stop accepting a token")
    revoke.add_argument("id", help="the token's id (`bf tokens list`)")
    _data_option(revoke)
    parser.set_defaults(run=run)


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help=f"the node's data folder (default: {DEFAULT_DATA}/ in the project)")


def run(args: argparse.Namespace, project: Project) -> int:
    keep_files_private()
    store = TokenStore(args.data or project.root / DEFAULT_DATA)
    try:
        if args.action == "create":
            token, grant = store.create(args.operator, args.tenant or "")
            print(token, flush=True)
            print(f"bf tokens: {grant.describe()} made; shown this once, kept hashed in {store.path}", file=sys.stderr)
        elif args.action == "add":
            token = client_token()
            if token is None:
                raise TokenError(f"set {TOKEN_ENV} or {TOKEN_FILE_ENV} to the token to accept here")
            grant = store.add(token, args.operator, args.tenant or "")
            print(f"bf tokens: {grant.describe()} accepted; kept hashed in {store.path}")
        elif args.action == "list":
            for grant in store.grants():
                print(f"{grant.id}  {grant.role:<8}  {grant.tenant or '-':<20}  {grant.created}")
        else:
            print(f"bf tokens: {store.revoke(args.id).describe()} revoked")
    except (TokenError, BadTenantName) as error:
        print(f"bf tokens: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0
