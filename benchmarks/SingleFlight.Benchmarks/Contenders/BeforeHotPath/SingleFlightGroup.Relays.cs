// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    /// <summary>
    /// Completes <paramref name="target"/> the way <paramref name="source"/> ended unsuccessfully, keeping the kind: the
    /// same exception objects when it faulted (even an <see cref="OperationCanceledException"/> the work threw on its
    /// own, rule 9), a cancellation by <paramref name="callerToken"/> when it was cancelled (only a caller's own token
    /// cancels its wait). An async method cannot relay like this: it turns every OperationCanceledException into a
    /// cancellation.
    /// </summary>
    /// <returns><see langword="false"/> if <paramref name="source"/> ran to completion.</returns>
    private static bool TryRelayFailure<TResult>(TaskCompletionSource<TResult> target, Task<TValue> source, CancellationToken callerToken)
    {
        switch (source.Status)
        {
            case TaskStatus.Faulted:
                target.TrySetException(source.Exception!.InnerExceptions);
                return true;
            case TaskStatus.Canceled:
                target.TrySetCanceled(callerToken);
                return true;
            default:
                return false;
        }
    }

    /// <summary><c>DoWithResultAsync</c>'s task: the caller's wait, with the value wrapped and the outcome kind kept.</summary>
    private sealed class ResultRelay : TaskCompletionSource<SingleFlightResult<TValue>>
    {
        private readonly Task<TValue> _wait;
        private readonly bool _shared;
        private readonly CancellationToken _callerToken;

        private ResultRelay(Task<TValue> wait, bool shared, CancellationToken callerToken)
        {
            _wait = wait;
            _shared = shared;
            _callerToken = callerToken;
        }

        internal static Task<SingleFlightResult<TValue>> Start(Task<TValue> wait, bool shared, CancellationToken callerToken)
        {
            var relay = new ResultRelay(wait, shared, callerToken);
            if (wait.IsCompleted)
            {
                relay.OnCompleted();
            }
            else
            {
                // The wait's task already runs its continuations asynchronously (or it is the caller's own waiter):
                // the caller's continuation may run inline here.
                wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(relay.OnCompleted);
            }

            return relay.Task;
        }

        private void OnCompleted()
        {
            if (!TryRelayFailure(this, _wait, _callerToken))
            {
                TrySetResult(new SingleFlightResult<TValue>(_wait.Result, _shared));
            }
        }
    }

    /// <summary>A caller's wait while telemetry listens: records the call when it ends, and keeps its outcome kind.</summary>
    private sealed class ObservedWait : TaskCompletionSource<TValue>
    {
        private readonly Task<TValue> _wait;
        private readonly WaitObservation _observation;
        private readonly CancellationToken _callerToken;

        private ObservedWait(Task<TValue> wait, WaitObservation observation, CancellationToken callerToken)
        {
            _wait = wait;
            _observation = observation;
            _callerToken = callerToken;
        }

        internal static Task<TValue> Start(Task<TValue> wait, string? operation, Activity? flightSpan, bool led, CancellationToken callerToken)
        {
            // The joiner's span must not stay current in the caller's context after this returns.
            var previous = Activity.Current;
            var observation = WaitObservation.Begin(operation, flightSpan, led);
            if (!ReferenceEquals(Activity.Current, previous))
            {
                Activity.Current = previous;
            }

            if (wait.IsCompleted)
            {
                observation.End(ErrorOf(wait), callerToken);
                return wait;
            }

            var relay = new ObservedWait(wait, observation, callerToken);
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(relay.OnCompleted);
            return relay.Task;
        }

        private static Exception? ErrorOf(Task<TValue> wait) => wait.Status switch
        {
            TaskStatus.RanToCompletion => null,
            TaskStatus.Faulted => wait.Exception!.InnerException,
            _ => new TaskCanceledException(wait),
        };

        private void OnCompleted()
        {
            _observation.End(ErrorOf(_wait), _callerToken);
            if (!TryRelayFailure(this, _wait, _callerToken))
            {
                TrySetResult(_wait.Result);
            }
        }
    }
}
