// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    /// <summary>
    /// A flight's shared result, and the list of the cancellable joiners waiting for it. Joiners that cannot
    /// cancel await its task directly; cancellable ones each have a task of their own, and the flight completes
    /// those itself — no continuation object per joiner on the shared task.
    /// </summary>
    private sealed class Completion : TaskCompletionSource<TValue>
    {
        // Marks a list whose waiters have been released: a waiter that finds it completes from the task.
        private static readonly CancellableWaiter s_released = CancellableWaiter.CreateSentinel();

        // The flight's span when it is traced (an Activity), or, for a group with lifetime options, the flight's
        // Lifespan (which holds the span too): one field for both, so that flights without options pay nothing more.
        private object? _extra;

        /// <summary>The flight's span when it is traced (see Flight.Span).</summary>
        internal Activity? Span
        {
            get
            {
                var extra = Volatile.Read(ref _extra);
                return extra as Activity ?? (extra as Lifespan)?.Span;
            }

            set => Volatile.Write(ref _extra, value);
        }

        /// <summary>The flight's deadline and share window, for a group with lifetime options; otherwise null.</summary>
        internal Lifespan? Lifespan
        {
            get => Volatile.Read(ref _extra) as Lifespan;
            set => Volatile.Write(ref _extra, value);
        }

        // A lock-free stack of waiters (CancellableWaiter.Next). Pushed by joiners; taken whole, once, by
        // ReleaseWaiters after the task has completed.
        private CancellableWaiter? _waiters;

        // Continuations run asynchronously: the leader's thread must not run every joiner's continuation
        // before it returns to its own caller.
        internal Completion()
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
        }

        /// <summary>Adds a waiter; returns false if the waiters were already released (the task is complete).</summary>
        internal bool TryAdd(CancellableWaiter waiter)
        {
            while (true)
            {
                var head = Volatile.Read(ref _waiters);
                if (ReferenceEquals(head, s_released))
                {
                    return false;
                }

                waiter.Next = head;
                if (ReferenceEquals(Interlocked.CompareExchange(ref _waiters, waiter, head), head))
                {
                    return true;
                }
            }
        }

        /// <summary>Completes every waiter added so far; later ones see the list released. Call after the task completed.</summary>
        internal void ReleaseWaiters()
        {
            var waiter = Interlocked.Exchange(ref _waiters, s_released);
            if (waiter is null)
            {
                return;
            }

#if NETCOREAPP3_0_OR_GREATER
            CompleteAll(waiter, Task);
#else
            // Without CancellationTokenRegistration.Unregister, completing a waiter disposes its registration,
            // which waits for a cancellation callback running on another thread. The thread that finished the
            // work must never wait for that (it may hold a lock that callback needs): hand the list over.
            ThreadPool.QueueUserWorkItem(static s => CompleteAll((CancellableWaiter)((object[])s!)[0], (Task<TValue>)((object[])s!)[1]), new object[] { waiter, Task });
#endif
        }

        private static void CompleteAll(CancellableWaiter? waiter, Task<TValue> task)
        {
            while (waiter is not null)
            {
                var next = waiter.Next;
                waiter.Next = null;
                waiter.OnCompleted(task);
                waiter = next;
            }
        }
    }

    /// <summary>A joiner whose token can cancel: its own task, completed by the flight or by its token.</summary>
    private sealed class CancellableWaiter : TaskCompletionSource<TValue>
    {
        private readonly BeforeHotPathGroup<TKey, TValue>? _owner;
        private readonly Flight? _flight;
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;

        private CancellableWaiter(BeforeHotPathGroup<TKey, TValue>? owner, Flight? flight, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _flight = flight;
            _cancellationToken = cancellationToken;
        }

        /// <summary>The next waiter in its completion's list.</summary>
        internal CancellableWaiter? Next;

        internal static CancellableWaiter CreateSentinel() => new(null, null, CancellationToken.None);

        internal static Task<TValue> Start(
            BeforeHotPathGroup<TKey, TValue> owner,
            Flight flight,
            Completion completion,
            CancellationToken cancellationToken)
        {
            var waiter = new CancellableWaiter(owner, flight, cancellationToken);
            waiter._registration = cancellationToken.Register(static s => ((CancellableWaiter)s!).OnCanceled(), waiter);
            if (!completion.TryAdd(waiter))
            {
                // The flight published its result between the caller's check and now.
                waiter.OnCompleted(completion.Task);
            }

            return waiter.Task;
        }

        private void OnCanceled()
        {
            // Leave the flight before the caller sees its cancellation: once it has, a new call for the key
            // must not find a flight that no caller wants any more. The waiter stays in the completion's list
            // until the flight ends (as a continuation on the shared task would); completing it then is a no-op.
            _flight!.Release(_owner!);
            TrySetCanceled(_cancellationToken);
        }

        internal void OnCompleted(Task<TValue> completion)
        {
#if NETCOREAPP3_0_OR_GREATER
            // Unregister, not Dispose: Dispose waits for a cancellation callback running on another thread, and
            // this runs on the thread that finished the work (see Completion.ReleaseWaiters).
            _registration.Unregister();
#else
            _registration.Dispose();
#endif
            switch (completion.Status)
            {
                case TaskStatus.RanToCompletion:
                    TrySetResult(completion.Result);
                    break;
                case TaskStatus.Faulted:
                    TrySetException(completion.Exception!.InnerExceptions);
                    break;
                default:
                    TrySetCanceled();
                    break;
            }
        }
    }
}
