// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    private ValueTask<TValue> Start<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        out bool shared)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        shared = false;

        if (cancellationToken.IsCancellationRequested)
        {
            BeforeHotPathTelemetry.RecordCall(Name, BeforeHotPathTelemetry.Cancelled);
            return new ValueTask<TValue>(Task.FromCanceled<TValue>(cancellationToken));
        }

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellationToken.CanBeCanceled, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    return new ValueTask<TValue>(Task.FromException<TValue>(ReentrancyGuard.CreateException(key)));
                }

                if (existing.TryJoin(cancellationToken.CanBeCanceled))
                {
                    JoinedHook?.Invoke(key);
                    shared = true;
                    return Wait(existing, cancellationToken, led: false);
                }

                // A value kept for the share window: out of line, so that groups without one keep this method as it was.
                if (existing.IsKept)
                {
                    return ReuseOrStart(existing, key, state, work, cancellationToken, out shared);
                }

                // The flight ended (or every caller left it) and is on its way out of the map: help it out,
                // then start a new one.
                RemoveIfPresent(existing);
                continue;
            }

            return Lead(flight, state, work, cancellationToken);
        }
    }

    /// <summary>
    /// A caller found an entry kept for the share window: takes its value if the window is still open; otherwise helps
    /// the entry out of the map and starts over.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ValueTask<TValue> ReuseOrStart<TState>(
        Flight kept,
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        out bool shared)
    {
        if (kept.TryTakeKept(out var value))
        {
            shared = true;
            BeforeHotPathTelemetry.RecordCall(Name, BeforeHotPathTelemetry.Reused);
            return new ValueTask<TValue>(value);
        }

        RemoveIfPresent(kept);
        return Start(key, state, work, cancellationToken, out shared);
    }

    private ValueTask<TValue> Lead<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken)
    {
        // A deadline or a share window takes the other path: without them, this is the leader as it was before them.
        var lifetime = _lifetime;
        if (lifetime is not null)
        {
            return LeadWithLifetime(flight, state, work, cancellationToken, lifetime);
        }

        var observation = BeforeHotPathTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;

        ValueTask<TValue> pending;
        var outer = ReentrancyGuard.Enter(flight);
        try
        {
            pending = work(state, flight.WorkToken);
        }
        catch (Exception ex)
        {
            // A synchronous throw is the same failure as an asynchronous one: shared, then forgotten.
            pending = new ValueTask<TValue>(Task.FromException<TValue>(ex));
        }
        finally
        {
            ReentrancyGuard.Exit(outer);
            observation.WorkInvoked();
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            observation.End(null);
            flight.Succeed(this, result);
            BeforeHotPathTelemetry.RecordCall(Name, BeforeHotPathTelemetry.Led);
            return new ValueTask<TValue>(result);
        }

        // The leader waits on the flight's completion like a joiner, whether or not its token can cancel: every
        // caller then observes one task's outcome (rule 9). Awaiting the work in an async helper and returning the
        // helper's task would not do: an async method that ends with an OperationCanceledException the work threw
        // on its own completes as Canceled, while the completion (and so every joiner) is Faulted with it.
        flight.ExpectWaiters();
        _ = CompleteAsync(this, flight, pending, observation);
        return Wait(flight, cancellationToken, led: true);
    }

    /// <summary><see cref="Lead"/> for a group with a deadline or a share window (rules 10 and 11).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private ValueTask<TValue> LeadWithLifetime<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        Lifetime lifetime)
    {
        var observation = BeforeHotPathTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;
        var lifespan = flight.StartLifetime(this, lifetime, withToken: true);

        ValueTask<TValue> pending;
        var outer = ReentrancyGuard.Enter(flight);
        try
        {
            pending = work(state, flight.WorkToken);
        }
        catch (Exception ex)
        {
            // A synchronous throw is the same failure as an asynchronous one: shared, then forgotten.
            pending = new ValueTask<TValue>(Task.FromException<TValue>(ex));
        }
        finally
        {
            ReentrancyGuard.Exit(outer);
            observation.WorkInvoked();
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            observation.End(null);
            if (!flight.Succeed(this, result, lifespan))
            {
                // The deadline passed while the work ran synchronously: the completion holds its exception.
                return Wait(flight, cancellationToken, led: true);
            }

            BeforeHotPathTelemetry.RecordCall(Name, BeforeHotPathTelemetry.Led);
            return new ValueTask<TValue>(result);
        }

        // The leader waits on the flight's completion like a joiner, whether or not its token can cancel: every
        // caller then observes one task's outcome (rule 9). Awaiting the work in an async helper and returning the
        // helper's task would not do: an async method that ends with an OperationCanceledException the work threw
        // on its own completes as Canceled, while the completion (and so every joiner) is Faulted with it.
        flight.ExpectWaiters();
        _ = CompleteAsync(this, flight, pending, observation);
        return Wait(flight, cancellationToken, led: true);
    }

    // Awaits the work and publishes its outcome to the flight's completion. Nobody awaits the helper itself: callers
    // only ever see the completion's task, so no misuse of a caller's ValueTask can touch the helper's state.
    private static async ValueTask CompleteAsync(
        BeforeHotPathGroup<TKey, TValue> owner,
        Flight flight,
        ValueTask<TValue> pending,
        FlightObservation observation)
    {
        TValue result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Every caller, the leader included, receives the exception through the flight's completion.
            observation.End(ex);
            if (flight.Lifespan is { } failed)
            {
                flight.Fail(owner, ex, failed);
            }
            else
            {
                flight.Fail(owner, ex);
            }

            return;
        }

        observation.End(null);
        if (flight.Lifespan is { } lifespan)
        {
            flight.Succeed(owner, result, lifespan);
        }
        else
        {
            flight.Succeed(owner, result);
        }
    }

    private ValueTask<TValue> Wait(Flight flight, CancellationToken cancellationToken, bool led)
    {
        var completion = flight.GetCompletion();
        var wait = !cancellationToken.CanBeCanceled || completion.Task.IsCompleted
            ? new ValueTask<TValue>(completion.Task)
            : new ValueTask<TValue>(CancellableWaiter.Start(this, flight, completion, cancellationToken));

        return BeforeHotPathTelemetry.JoinObserved
            ? new ValueTask<TValue>(ObservedWait.Start(wait.AsTask(), Name, flight.Span, led, cancellationToken))
            : wait;
    }
}
