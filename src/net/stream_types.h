// Types shared by the network layer's connection classes (private to src/net).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace urna::net {

using Executor = boost::asio::io_context::executor_type;
using Stream =
    boost::beast::basic_stream<boost::asio::ip::tcp, Executor, boost::beast::unlimited_rate_policy>;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;

}  // namespace urna::net
