// A frozen copy of src/Runtime as it was on main before issue 17 (the deadline and the share window): the group's hot
// path, its telemetry hooks and helpers, renamed. It runs side by side with the current runtime in the same
// BenchmarkDotNet run (scenario (a)), so "without the options, nothing got slower" is measured under one machine load.
// Not maintained: benchmark use only.
using System;
using System.Threading;

namespace SingleFlight.Benchmarks.Contenders.BeforeLifetime;

public sealed partial class BeforeLifetimeGroup<TKey, TValue>
{
    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> on the calling thread, or blocks until the
    /// flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    /// <remarks>
    /// A blocking caller that joins a flight started by <c>DoAsync</c> blocks its thread until that
    /// asynchronous work ends. Use one path per key.
    /// </remarks>
    public TValue Do(TKey key, Func<TValue> work)
    {
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return Do(key, work, static w => w());
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/> on the calling
    /// thread, or blocks until the flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> when this caller leads the flight.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    public TValue Do<TState>(TKey key, TState state, Func<TState, TValue> work)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellable: false, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    throw ReentrancyGuard.CreateException(key);
                }

                if (existing.TryJoin(cancellable: false))
                {
                    JoinedHook?.Invoke(key);
                    return WaitBlocking(existing);
                }

                RemoveIfPresent(existing);
                continue;
            }

            TValue result;
            var observation = BeforeLifetimeTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
            flight.Span = observation.Activity;
            var outer = ReentrancyGuard.Enter(flight);
            try
            {
                result = work(state);
            }
            catch (Exception ex)
            {
                observation.End(ex);
                flight.Fail(this, ex);
                BeforeLifetimeTelemetry.RecordCall(Name, BeforeLifetimeTelemetry.Faulted, ex);
                throw;
            }
            finally
            {
                ReentrancyGuard.Exit(outer);
            }

            observation.End(null);
            flight.Succeed(this, result);
            BeforeLifetimeTelemetry.RecordCall(Name, BeforeLifetimeTelemetry.Led);
            return result;
        }
    }

    private TValue WaitBlocking(Flight flight)
    {
        var completion = flight.GetCompletion().Task;
        if (!BeforeLifetimeTelemetry.JoinObserved)
        {
            // GetResult rethrows the leader's exception object itself, with its stack trace.
            return completion.GetAwaiter().GetResult();
        }

        var observation = WaitObservation.Begin(Name, flight.Span, led: false);
        try
        {
            var value = completion.GetAwaiter().GetResult();
            observation.End(null, CancellationToken.None);
            return value;
        }
        catch (Exception ex)
        {
            observation.End(ex, CancellationToken.None);
            throw;
        }
    }
}
