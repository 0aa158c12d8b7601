// A tiny connector for engine tests, speaking a toy JSON API:
//
//   GET {base}/u/{user}/posts?since=N     posts with id > N, newest first
//   GET {base}/u/{user}/posts?before=N    posts with id < N, newest first
//   -> {"followers": 12, "count": 40, "posts": [{"id": 7, "t": <ms>, "likes": 3}],
//       "more": true}
//
// "count" (the user's number of posts, optional) becomes the snapshot's
// post count, as a profile's statuses_count does.
//
// The handle is "user" (base from platforms.<id>.base_url) or a full URL
// "http://host:port/user". Cursor: {"newest": N, "oldest": N}. 404 means not
// found, 401/403 a rejected credential, anything unparseable is malformed.
// Like every connector it does no IO: the engine moves its requests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/connector.h"

namespace muni::test {

// `query_credential`: the credential goes into the query parameter "key"
// instead of an Authorization header.
std::unique_ptr<Connector> make_test_connector(std::string platform = "toy",
                                               bool uses_credential = false,
                                               bool query_credential = false);

// Registers the descriptors of the test platforms "toy", "toy2" and "toy3"
// (handles as written, no limits), so configurations in tests may use them.
void register_toy_platforms();

// Everything any test connector session was handed (account views,
// response URLs, headers and bodies), as text: the secrets test searches it.
std::vector<std::string>& test_connector_inputs();

// The toy API's page size.
constexpr int kTestPageSize = 20;

}  // namespace muni::test
