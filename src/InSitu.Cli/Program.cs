using System.CommandLine;
using InSitu.Cli;

return Cli.Build().Parse(args).Invoke();
