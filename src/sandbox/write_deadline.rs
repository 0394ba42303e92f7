//! A connection whose writes must keep moving. hyper has no write timeout: a client that
//! sends requests but stops reading the answers leaves the sandbox's write pending for as
//! long as the client keeps the socket open, holding its connection slot and buffers. Here
//! a write (or flush) that makes no progress for the deadline fails, which ends the
//! connection and frees what it held. A peer that reads, however slowly, is not cut off:
//! each write that goes through starts the clock again.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner`, with a deadline on writes that cannot proceed.
pub(super) struct WriteDeadline<T> {
    inner: T,
    limit: Duration,
    /// Made on the first stall and reset on later ones, so a connection whose writes never
    /// wait allocates nothing.
    timer: Option<Pin<Box<Sleep>>>,
    /// Whether the timer is counting a stall that has not ended yet.
    stalled: bool,
}

impl<T> WriteDeadline<T> {
    pub(super) fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            timer: None,
            stalled: false,
        }
    }

    /// Called when a write is pending: fails once the stall has lasted the deadline.
    fn poll_stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let deadline = Instant::now() + self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.stalled {
            timer.as_mut().reset(deadline);
            self.stalled = true;
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Pending => self.poll_stall(cx).map(Err),
            ready => {
                self.stalled = false;
                ready
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_peer_that_stops_reading_is_let_go_and_one_that_reads_is_not() {
        // A pipe with room for 64 bytes: the far end reads nothing, so writes stall.
        let (near, mut far) = tokio::io::duplex(64);
        let mut guarded = WriteDeadline::new(near, Duration::from_millis(50));
        let mut written = 0usize;
        let error = loop {
            match guarded.write(&[0u8; 16]).await {
                Ok(n) => written += n,
                Err(e) => break e,
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(written, 64);

        // Reading frees room, and writes go through again.
        let mut sink = [0u8; 64];
        tokio::io::AsyncReadExt::read_exact(&mut far, &mut sink)
            .await
            .unwrap();
        guarded.write_all(&[1u8; 32]).await.unwrap();
    }
}
