using System.Collections.Generic;
using System.Linq;
using SingleFlight.Generator.Model;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Emitting;

/// <summary>
/// Writes the group and the wrapper of a batch method (<c>DoManyAsync</c>) or a batched single-key method
/// (<c>DoAsync</c>, <c>DoOrDefaultAsync</c>): the only place that knows <c>SingleFlightBatchGroup</c>'s API.
/// </summary>
internal static class BatchEmitter
{
    private const string BatchGroup = "global::SingleFlight.SingleFlightBatchGroup";
    private const string ValueTaskOf = "global::System.Threading.Tasks.ValueTask";
    private const string ReadOnlyDictionary = "global::System.Collections.Generic.IReadOnlyDictionary";

    /// <summary>The group field and the wrapper.</summary>
    public static void Write(IndentedWriter w, in MethodModel model, BatchModel batch, string generatedCode)
    {
        var groupType = BatchGroup + "<" + batch.KeyType + ", " + batch.ValueType + ">";
        var instance = model.Group.Scope == SingleFlightScopeKind.Instance;
        w.Line("/// <summary>The batch group of " + model.Signature.Name + (instance ? ": one per instance." : ": one per closed containing type, shared by all callers.") + "</summary>");
        w.Line(generatedCode);
        w.Line("private " + (instance ? string.Empty : "static ") + "readonly " + groupType + " " + model.Group.FieldName + " = " + NewGroup(model, batch) + ";");
        w.Line();

        var groupAccess = (instance ? "this." : string.Empty) + model.Group.FieldName;
        var names = new HashSet<string>(model.Signature.Parameters.Select(static p => p.Name.TrimStart('@')));
        var keys = Emitter.Unique("__keys", names);
        var flightToken = Emitter.Unique("__flightToken", names);
        var self = Emitter.Unique("__self", names);
        var found = Emitter.Unique("__found", names);

        w.Line(generatedCode);
        Emitter.WriteSignature(w, model);
        w.Open();

        // The core's arguments: the batch's keys in the collection type the core takes, the flight's token, and the
        // other parameters as this caller passed them (the first caller of a core call is the one whose values it gets).
        var arguments = new List<string>();
        string? scopeFactory = null;
        var captures = new List<(string Local, string Value)>();
        var capturesState = false;
        if (batch.Kind == BatchKind.Batch)
        {
            foreach (var parameter in model.Signature.Parameters)
            {
                if (parameter.Name == batch.CollectionParameter)
                {
                    arguments.Add(KeysAs(batch, keys));
                }
                else if (parameter.IsCancellationToken)
                {
                    arguments.Add(flightToken);
                }
                else if (parameter.Modifiers.Contains("in "))
                {
                    // A lambda cannot capture an `in` parameter: it takes a copy.
                    var local = Emitter.Unique("__" + parameter.Name.TrimStart('@'), names);
                    captures.Add((local, parameter.Name));
                    arguments.Add(local);
                }
                else
                {
                    arguments.Add(parameter.Name);
                    capturesState = true;
                }
            }
        }
        else
        {
            arguments.Add(keys);
            if (batch.CoreTakesToken)
            {
                arguments.Add(flightToken);
            }
        }

        // A struct's `this` cannot be captured either; a class's is copied for the same code in both.
        if (!model.Core.IsStatic)
        {
            captures.Insert(0, (self, "this"));
        }

        // [FromFlightScope] parameters: each core call owns a DI scope, created from the type's factory (read here, so that
        // a primary-constructor parameter or a struct's field is captured as a value) and disposed when the core ends.
        string? scope = null;
        var services = model.Core.FlightServices.ToDictionary(static s => s.CoreIndex);
        if (services.Count > 0 && model.Core.ScopeFactory is { } factory)
        {
            scope = Emitter.Unique("__scope", names);
            var factoryLocal = Emitter.Unique("__scopes", names);
            captures.Add((factoryLocal, factory));
            var merged = new List<string>();
            var next = 0;
            for (var position = 0; position < arguments.Count + services.Count; position++)
            {
                merged.Add(services.TryGetValue(position, out var service) ? Emitter.Resolve(service, scope + ".ServiceProvider") : arguments[next++]);
            }

            arguments = merged;
            scopeFactory = factoryLocal;
        }

        capturesState |= captures.Count > 0;
        var target = model.Core.IsStatic ? model.Hierarchy.ContainingTypeName : self;
        var coreCall = target + "." + model.Core.MethodName + "(" + string.Join(", ", arguments) + ")";
        var result = Emitter.Unique("__result", names);
        var work = scope is null
            ? Work(batch, capturesState, keys, flightToken, coreCall, result)
            : ScopedWork(model, batch, keys, flightToken, coreCall, scope, scopeFactory!, result);

        if (batch.Kind == BatchKind.Batch)
        {
            w.Line("// Each key is coalesced on its own: keys already in flight (from any call of " + model.Signature.Name + ") are joined,");
            w.Line("// and only the missing ones go to one call of " + model.Core.MethodName + ". A key the core does not return is absent.");
        }
        else
        {
            w.Line("// Concurrent calls for different keys within the batch window share one call of " + model.Core.MethodName + ", and calls");
            w.Line("// with an equal key share one flight. " + (batch.OrDefault
                ? "A key the core does not return gives default."
                : "A key the core does not return fails with KeyNotFoundException."));
        }

        if (model.Signature.Parameters.Any(static p => p.IsCancellationToken))
        {
            w.Line("// The core's token is cancelled only when nobody waits for any of its keys.");
        }

        if (scope is not null)
        {
            w.Line("// The core's [FromFlightScope] parameters come from a DI scope that each core call owns, not from a caller's:");
            w.Line("// created when the core call starts, disposed once it has ended.");
        }

        foreach (var (local, value) in captures)
        {
            w.Line("var " + local + " = " + value + ";");
        }

        var callerToken = model.Signature.Parameters.FirstOrDefault(static p => p.IsCancellationToken).Name;
        var call = new List<string>
        {
            (batch.Kind == BatchKind.Batch ? batch.CollectionParameter : model.Key.Expression) + ",",
            callerToken is null ? work : work + ",",
        };
        if (callerToken is not null)
        {
            call.Add(callerToken);
        }

        var method = batch.Kind == BatchKind.Batch ? "DoManyAsync" : batch.OrDefault ? "DoOrDefaultAsync" : "DoAsync";
        var valueTask = model.Signature.ReturnKind == SingleFlightReturnKind.ValueTaskOfT;
        if (batch.Kind == BatchKind.Batch && batch.DeclaredResult != DictionaryKind.ReadOnlyDictionary)
        {
            // A mutable dictionary type is every caller's own copy.
            Emitter.WriteCall(w, "return " + found + "(" + groupAccess + "." + method + "(", call, "));");
            w.Line();
            WriteCopy(w, model, batch, found, names);
        }
        else
        {
            Emitter.WriteCall(w, "return " + groupAccess + "." + method + "(", call, valueTask ? ");" : ").AsTask();");
        }

        w.Close();
    }

    /// <summary>The group's initializer: its name, and the window and size the attribute sets.</summary>
    private static string NewGroup(in MethodModel model, BatchModel batch)
    {
        var text = "new() { Name = " + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(model.Group.OperationName, quote: true);
        if (batch.WindowMilliseconds > 0)
        {
            text += ", BatchWindow = " + Emitter.Milliseconds(batch.WindowMilliseconds);
        }

        if (batch.MaxBatchSize > 0)
        {
            text += ", MaxBatchSize = " + batch.MaxBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return text + " }";
    }

    /// <summary>The batch's keys (an <c>IReadOnlyList&lt;K&gt;</c>) as the collection type the core takes: a copy when it is mutable.</summary>
    private static string KeysAs(BatchModel batch, string keys)
        => batch.CollectionKind switch
        {
            KeyCollectionKind.Collection or KeyCollectionKind.List or KeyCollectionKind.ConcreteList => "new global::System.Collections.Generic.List<" + batch.KeyType + ">(" + keys + ")",
            KeyCollectionKind.Array => "global::System.Linq.Enumerable.ToArray(" + keys + ")",
            KeyCollectionKind.Set or KeyCollectionKind.HashSet or KeyCollectionKind.ReadOnlySet => "new global::System.Collections.Generic.HashSet<" + batch.KeyType + ">(" + keys + ")",
            KeyCollectionKind.ImmutableArray => "global::System.Collections.Immutable.ImmutableArray.CreateRange(" + keys + ")",
            _ => keys,
        };

    /// <summary>The work: the core's call, its dictionary as the <c>IReadOnlyDictionary</c> the group takes.</summary>
    private static string Work(BatchModel batch, bool capturesState, string keys, string flightToken, string coreCall, string result)
    {
        var head = (capturesState ? string.Empty : "static ") + "(" + keys + ", " + flightToken + ") =>";
        var dictionary = ReadOnlyDictionary + "<" + batch.KeyType + ", " + batch.ValueType + ">";
        switch (batch.CoreResult)
        {
            case DictionaryKind.ReadOnlyDictionary when batch.CoreReturnsValueTask:
                return head + " " + coreCall;
            case DictionaryKind.ReadOnlyDictionary:
                return head + " new " + ValueTaskOf + "<" + dictionary + ">(" + coreCall + ")";
            case DictionaryKind.ConcreteDictionary:
                return (capturesState ? string.Empty : "static ") + "async " + head.Substring(capturesState ? 0 : "static ".Length) + " await " + coreCall + ".ConfigureAwait(false)";
            default:
                // IDictionary<K, V> is not an IReadOnlyDictionary<K, V>; most implementations are, the others get a view.
                return (capturesState ? string.Empty : "static ") + "async " + head.Substring(capturesState ? 0 : "static ".Length) + "\n{\n"
                    + "    var " + result + " = await " + coreCall + ".ConfigureAwait(false);\n"
                    + "    return " + AsReadOnly(batch, result) + ";\n"
                    + "}";
        }
    }

    /// <summary>
    /// An <c>IDictionary&lt;K, V&gt;</c> from the core as the <c>IReadOnlyDictionary&lt;K, V&gt;</c> the group takes: itself when
    /// it is one, else a view. A null one stays null, so that the group faults the call as it does any null dictionary
    /// (batching.md, B3), not the view's constructor.
    /// </summary>
    private static string AsReadOnly(BatchModel batch, string local)
        => local + " is null ? null! : " + local + " as " + ReadOnlyDictionary + "<" + batch.KeyType + ", " + batch.ValueType + "> ?? new global::System.Collections.ObjectModel.ReadOnlyDictionary<"
            + batch.KeyType + ", " + batch.ValueType + ">(" + local + ")";

    /// <summary>The work of a core with <c>[FromFlightScope]</c> parameters: a scope of its own per core call.</summary>
    private static string ScopedWork(in MethodModel model, BatchModel batch, string keys, string flightToken, string coreCall, string scope, string factory, string local)
    {
        var missing = "throw new global::System.InvalidOperationException(" + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(
            "[SingleFlight] " + model.Signature.Name + " cannot create the scope of its core call: its IServiceScopeFactory ('"
            + (model.Core.ScopeFactory ?? string.Empty).Replace("this.", string.Empty) + "') is null.", quote: true) + ")";
        var result = batch.CoreResult == DictionaryKind.Dictionary ? AsReadOnly(batch, local) : local;
        return string.Join("\n", new[]
        {
            "async (" + keys + ", " + flightToken + ") =>",
            "{",
            "    var " + scope + " = global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateAsyncScope(" + factory + " ?? " + missing + ");",
            "    try",
            "    {",
            "        var " + local + " = await " + coreCall + ".ConfigureAwait(false);",
            "        return " + result + ";",
            "    }",
            "    finally",
            "    {",
            "        await " + scope + ".DisposeAsync().ConfigureAwait(false);",
            "    }",
            "}",
        });
    }

    /// <summary>The local function that copies a caller's keys into the mutable dictionary type the method declares.</summary>
    private static void WriteCopy(IndentedWriter w, in MethodModel model, BatchModel batch, string name, HashSet<string> names)
    {
        // Named apart from the method's parameters: a local function's names may not reuse an enclosing scope's.
        var flight = Emitter.Unique("__flight", names);
        var values = Emitter.Unique("__values", names);
        var copy = Emitter.Unique("__copy", names);
        var pair = Emitter.Unique("__pair", names);
        var dictionary = ReadOnlyDictionary + "<" + batch.KeyType + ", " + batch.ValueType + ">";
        var concrete = "global::System.Collections.Generic.Dictionary<" + batch.KeyType + ", " + batch.ValueType + ">";
        w.Line("static async " + model.Signature.ReturnType + " " + name + "(" + ValueTaskOf + "<" + dictionary + "> " + flight + ")");
        w.Open();
        w.Line("var " + values + " = await " + flight + ".ConfigureAwait(false);");
        w.Line("var " + copy + " = new " + concrete + "(" + values + ".Count);");
        w.Line("foreach (var " + pair + " in " + values + ")");
        w.Open();
        w.Line(copy + ".Add(" + pair + ".Key, " + pair + ".Value);");
        w.Close();
        w.Line();
        w.Line("return " + copy + ";");
        w.Close();
    }
}
