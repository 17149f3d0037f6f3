// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    /// <summary>The longest <see cref="Deadline"/> or <see cref="ShareFor"/> a group accepts: <see cref="int.MaxValue"/> milliseconds (about 24.8 days).</summary>
    public static TimeSpan MaxLifetimeOption => TimeSpan.FromMilliseconds(int.MaxValue);

    // Null when neither option is set: the hot path reads this one field and takes no other branch.
    private volatile Lifetime? _lifetime;
    private TimeSpan? _deadline;
    private TimeSpan? _shareFor;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// The longest a flight may run. When it passes, the flight is detached (the next call for the key starts a new
    /// one), every caller still waiting for it receives the same <see cref="SingleFlightDeadlineExceededException"/>,
    /// and the work's token is cancelled (nobody waits for it any more). <see langword="null"/> (the default): no deadline.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Measured on <see cref="TimeProvider"/> from the moment the leader starts the flight. A blocking <c>Do</c> cannot
    /// interrupt its leader's thread: its joiners are released at the deadline, and the leader receives the same
    /// exception when its work returns. Flights that start after a change use the new value.
    /// </para>
    /// <para>A plain setter, not <c>init</c>, for the reason given on <see cref="Name"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or longer than <see cref="MaxLifetimeOption"/>.</exception>
    public TimeSpan? Deadline
    {
        get => _deadline;
        set
        {
            _deadline = Validate(value, nameof(Deadline));
            UpdateLifetime();
        }
    }

    /// <summary>
    /// How long a flight's value stays with the group after the flight completed successfully: a call for the key in that
    /// window receives the value without running the work. <see langword="null"/> (the default): nothing is kept; a call
    /// that starts after a flight ended runs the work again.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Only values are kept: a flight that fails (or is cancelled, or outlives its <see cref="Deadline"/>) leaves the group
    /// at once, as without a window. The entry leaves the group when the window ends, whether or not anybody calls again
    /// (one timer of <see cref="TimeProvider"/> per kept value). <see cref="Forget"/> drops a kept value at once. The
    /// window is measured from the flight's completion; flights that complete after a change use the new value.
    /// </para>
    /// <para>A plain setter, not <c>init</c>, for the reason given on <see cref="Name"/>.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or longer than <see cref="MaxLifetimeOption"/>.</exception>
    public TimeSpan? ShareFor
    {
        get => _shareFor;
        set
        {
            _shareFor = Validate(value, nameof(ShareFor));
            UpdateLifetime();
        }
    }

    /// <summary>
    /// The clock that <see cref="Deadline"/> and <see cref="ShareFor"/> are measured on. Default: <see cref="System.TimeProvider.System"/>.
    /// Tests set a fake one (<c>FakeTimeProvider</c>). Not read at all when neither option is set.
    /// </summary>
    /// <remarks>A plain setter, not <c>init</c>, for the reason given on <see cref="Name"/>.</remarks>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ThrowHelper.ThrowIfNull(value, nameof(value));
            _timeProvider = value;
            UpdateLifetime();
        }
    }

    /// <summary>
    /// The number of entries in the group: running flights and values kept for <see cref="ShareFor"/>. A seam for tests
    /// (a kept value is not a flight, so <see cref="InFlightCount"/> leaves it out).
    /// </summary>
    internal int EntryCount
    {
        get
        {
            lock (_slowLock)
            {
                return _table.Count(includeKept: true);
            }
        }
    }

    private static TimeSpan? Validate(TimeSpan? value, string name)
    {
        if (value is { } span && (span <= TimeSpan.Zero || span > MaxLifetimeOption))
        {
            throw new ArgumentOutOfRangeException(name, span, name + " must be positive and at most " + int.MaxValue + " ms, or null for none.");
        }

        return value;
    }

    private void UpdateLifetime()
        => _lifetime = _deadline is null && _shareFor is null ? null : new Lifetime(_deadline, _shareFor, _timeProvider);

    /// <summary>The group's lifetime options, as one immutable snapshot that a flight keeps from its start.</summary>
    private sealed class Lifetime
    {
        internal Lifetime(TimeSpan? deadline, TimeSpan? shareFor, TimeProvider clock)
        {
            Deadline = deadline;
            ShareFor = shareFor;
            Clock = clock;
        }

        internal TimeSpan? Deadline { get; }

        internal TimeSpan? ShareFor { get; }

        internal TimeProvider Clock { get; }
    }

    /// <summary>
    /// What a flight of a group with lifetime options carries besides its completion: the options, the timer (the
    /// deadline, then the end of the share window), and when the flight completed. Kept in the completion's slot for the
    /// span (which it then holds too), so that flights of groups without options pay no field for it.
    /// </summary>
    private sealed class Lifespan
    {
        private static readonly TimerCallback s_onTimer = static s => ((Lifespan)s!).OnTimer();

        private readonly BeforeHotPathGroup<TKey, TValue> _owner;
        private readonly Flight _flight;
        private ITimer? _timer;
        private long _completedAt;

        internal Lifespan(BeforeHotPathGroup<TKey, TValue> owner, Flight flight, Lifetime settings, Activity? span)
        {
            _owner = owner;
            _flight = flight;
            Settings = settings;
            Span = span;
        }

        internal Lifetime Settings { get; }

        internal Activity? Span { get; }

        /// <summary>Starts the deadline's timer (when there is a deadline).</summary>
        internal void Start()
        {
            if (Settings.Deadline is { } deadline)
            {
                Arm(deadline);
            }
        }

        /// <summary>The flight completed with a value that is kept for the share window, from now on.</summary>
        internal void Completed()
        {
            Volatile.Write(ref _completedAt, Settings.Clock.GetTimestamp());
        }

        /// <summary>Starts (or moves) the timer to the end of the share window.</summary>
        internal void KeepUntilWindowEnds() => Arm(Settings.ShareFor!.Value);

        /// <summary>Whether the share window of a kept value is still open.</summary>
        internal bool InWindow() => Settings.Clock.GetElapsedTime(Volatile.Read(ref _completedAt)) < Settings.ShareFor!.Value;

        internal void Stop()
        {
            Interlocked.Exchange(ref _timer, null)?.Dispose();
        }

        private void Arm(TimeSpan due)
        {
            var timer = Volatile.Read(ref _timer);
            try
            {
                if (timer is not null && timer.Change(due, Timeout.InfiniteTimeSpan))
                {
                    return;
                }
            }
            catch (ObjectDisposedException)
            {
                // Stopped meanwhile: start a new one.
            }

            // The timer must not capture the leader's execution context (its AsyncLocals and span) for its whole life.
            var restore = !ExecutionContext.IsFlowSuppressed();
            AsyncFlowControl flow = default;
            if (restore)
            {
                flow = ExecutionContext.SuppressFlow();
            }

            try
            {
                timer = Settings.Clock.CreateTimer(s_onTimer, this, due, Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (restore)
                {
                    flow.Undo();
                }
            }

            var previous = Interlocked.Exchange(ref _timer, timer);
            previous?.Dispose();
        }

        private void OnTimer()
        {
            try
            {
                switch (_flight.OnTimer(_owner, this))
                {
                    case TimerVerdict.Done:
                        Stop();
                        break;
                    case TimerVerdict.WindowStillOpen:
                        // Fired early (it was moved while it fired): wait for the rest of the window.
                        var left = Settings.ShareFor!.Value - Settings.Clock.GetElapsedTime(Volatile.Read(ref _completedAt));
                        Arm(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
                        break;
                }
            }
            catch (Exception)
            {
                // A timer callback must never throw (it would take the process down); the flight's state is already settled.
            }
        }
    }

    private enum TimerVerdict
    {
        Done,
        WindowStillOpen,
    }
}

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    // The parts of a flight that only groups with a deadline or a share window use (see "Deadline and share window" in
    // docs/runtime-design.md). Without options none of this runs: the flight completes through Succeed/Fail as before.
    private sealed partial class Flight
    {
        /// <summary>Whether this entry is a value kept for the share window rather than a running flight.</summary>
        internal bool IsKept => (Volatile.Read(ref _state) & Kept) != 0;

        /// <summary>The flight's deadline and share window, when its group has lifetime options.</summary>
        internal Lifespan? Lifespan => Volatile.Read(ref _completion)?.Lifespan;

        /// <summary>
        /// Called by the leader right after publishing the flight and setting its span, before the work starts: creates
        /// the completion (which holds the lifespan) and starts the deadline.
        /// </summary>
        /// <param name="owner">The group.</param>
        /// <param name="settings">The group's options when the flight started.</param>
        /// <param name="withToken">Whether the work takes a token, which the deadline must be able to cancel.</param>
        internal Lifespan StartLifetime(BeforeHotPathGroup<TKey, TValue> owner, Lifetime settings, bool withToken)
        {
            if (withToken && settings.Deadline is not null && _cancellation is null)
            {
                // The work has not started yet, so nobody has read WorkToken; a caller that joins meanwhile and cancels
                // cannot abandon the flight (its leader cannot cancel: Pinned), so nobody reads the field either.
                _cancellation = new CancellationTokenSource();
            }

            var completion = GetCompletion();
            var lifespan = new Lifespan(owner, this, settings, completion.Span);
            completion.Lifespan = lifespan;
            lifespan.Start();
            return lifespan;
        }

        /// <summary>
        /// The work ended with <paramref name="result"/>. With a share window the flight stays in the map, closed to
        /// joiners but handing its value to new callers, until the window ends.
        /// </summary>
        /// <returns><see langword="false"/> if the deadline passed first: the callers received its exception instead.</returns>
        internal bool Succeed(BeforeHotPathGroup<TKey, TValue> owner, TValue result, Lifespan lifespan)
        {
            var completion = GetCompletion();
            if (lifespan.Settings.ShareFor is null)
            {
                Close(owner);
                var delivered = completion.TrySetResult(result);
                completion.ReleaseWaiters();
                lifespan.Stop();
                return delivered;
            }

            // The value and its time first, then Closed and Kept in one step: whoever sees Kept finds both.
            lifespan.Completed();
            if (!completion.TrySetResult(result))
            {
                return false;
            }

            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & Closed) != 0)
                {
                    // Every caller left, or the deadline passed a moment ago: nothing to keep.
                    owner.RemoveIfPresent(this);
                    completion.ReleaseWaiters();
                    lifespan.Stop();
                    return true;
                }

                if (Interlocked.CompareExchange(ref _state, state | Closed | Kept, state) == state)
                {
                    break;
                }

                spinner.SpinOnce();
            }

            completion.ReleaseWaiters();
            lifespan.KeepUntilWindowEnds();
            return true;
        }

        /// <summary>The work failed. Failures are never kept.</summary>
        /// <returns><see langword="false"/> if the deadline passed first: the callers received its exception instead.</returns>
        internal bool Fail(BeforeHotPathGroup<TKey, TValue> owner, Exception exception, Lifespan lifespan)
        {
            var completion = GetCompletion();
            Close(owner);
            var delivered = completion.TrySetException(exception);
            _ = completion.Task.Exception;
            completion.ReleaseWaiters();
            lifespan.Stop();
            return delivered;
        }

        /// <summary>A value kept for the share window, if this entry holds one and the window is open.</summary>
        internal bool TryTakeKept(out TValue value)
        {
            if ((Volatile.Read(ref _state) & Kept) != 0
                && Volatile.Read(ref _completion) is { Lifespan: { } lifespan } completion
                && lifespan.InWindow())
            {
                value = completion.Task.Result;
                return true;
            }

            value = default!;
            return false;
        }

        /// <summary>The lifespan's timer fired: the deadline, or the end of the share window.</summary>
        internal TimerVerdict OnTimer(BeforeHotPathGroup<TKey, TValue> owner, Lifespan lifespan)
        {
            if ((Volatile.Read(ref _state) & Closed) == 0 && Expire(owner, lifespan))
            {
                return TimerVerdict.Done;
            }

            if ((Volatile.Read(ref _state) & Kept) != 0)
            {
                if (lifespan.InWindow())
                {
                    return TimerVerdict.WindowStillOpen;
                }

                owner.RemoveIfPresent(this);
            }

            return TimerVerdict.Done;
        }

        /// <summary>
        /// The deadline passed while the flight runs: close it, take it out of the map (the next caller starts a fresh
        /// flight), fail every caller with one <see cref="SingleFlightDeadlineExceededException"/>, and cancel the work's
        /// token, since nobody waits for the work any more.
        /// </summary>
        private bool Expire(BeforeHotPathGroup<TKey, TValue> owner, Lifespan lifespan)
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & Closed) != 0)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _state, state | Closed, state) == state)
                {
                    break;
                }

                spinner.SpinOnce();
            }

            owner.RemoveIfPresent(this);
            var completion = GetCompletion();
            completion.TrySetException(new SingleFlightDeadlineExceededException(owner.Name, lifespan.Settings.Deadline!.Value));
            _ = completion.Task.Exception;
            completion.ReleaseWaiters();
            try
            {
                _cancellation?.Cancel();
            }
            catch (AggregateException)
            {
                // The work's own cancellation callbacks threw: the work's affair (see Release).
            }

            return true;
        }
    }
}
