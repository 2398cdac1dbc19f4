// type-graphql reads decorator metadata through the Reflect API this polyfills; it must be
// loaded before any decorated class is.
import 'reflect-metadata';
