"""The platforms' paging styles, each a generator of response bodies.

cursor (Meta `paging.cursors.after`), page number (TikTok `page` / `page_info.total_page`),
bookmark (Pinterest), next_url (Reddit `pagination.next_url`, followed as given) and page
token (Google Ads `nextPageToken`).
"""

from __future__ import annotations

import typing as t

from tap_ads.core.http import ApiClient

Body = dict[str, t.Any]


def dig(body: t.Any, *keys: str) -> t.Any:
    for key in keys:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def cursor_pages(client: ApiClient, path: str, params: dict[str, t.Any]) -> t.Iterator[Body]:
    """Meta: `after` = `paging.cursors.after` while the page links a `next` one."""
    params = dict(params)
    while True:
        body = client.get(path, **params)
        yield body
        after = dig(body, "paging", "cursors", "after")
        if not dig(body, "paging", "next") or not after:
            return
        params["after"] = after


def page_number_pages(
    client: ApiClient, path: str, params: dict[str, t.Any], *, method: str = "GET"
) -> t.Iterator[Body]:
    """TikTok: `page` = 1, 2, ... up to `data.page_info.total_page`."""
    page = 1
    while True:
        body = client.request(method, path, params={**params, "page": page})
        yield body
        total = dig(body, "data", "page_info", "total_page") or 0
        if page >= int(total):
            return
        page += 1


def bookmark_pages(client: ApiClient, path: str, params: dict[str, t.Any]) -> t.Iterator[Body]:
    """Pinterest: send back the response's `bookmark` until it is empty."""
    params = dict(params)
    while True:
        body = client.get(path, **params)
        yield body
        bookmark = dig(body, "bookmark")
        if not bookmark:
            return
        params["bookmark"] = bookmark


def next_url_pages(
    client: ApiClient,
    path: str,
    params: dict[str, t.Any] | None = None,
    *,
    method: str = "GET",
    body: t.Any = None,
) -> t.Iterator[Body]:
    """Reddit: follow `pagination.next_url` as it is (it carries the page size and cursor)."""
    answer = client.request(method, path, params=params, json_body=body)
    while True:
        yield answer
        next_url = dig(answer, "pagination", "next_url")
        if not next_url:
            return
        answer = client.request(method, next_url, json_body=body)


def page_token_pages(client: ApiClient, path: str, body: dict[str, t.Any]) -> t.Iterator[Body]:
    """Google Ads `:search`: POST the query again with `pageToken` = `nextPageToken`."""
    request = dict(body)
    while True:
        answer = client.post(path, request)
        yield answer
        token = dig(answer, "nextPageToken")
        if not token:
            return
        request["pageToken"] = token
